/** The labelled videos of the identity benchmark: file (in ../shared/data/video) and camera id. */
export const VIDEOS = [
  { camera: "station", file: "station-crowd-1080p.mp4" },
  { camera: "stage", file: "stage-small-faces-360p.mp4" },
  { camera: "pedestrians", file: "pedestrian-crowd-tiny-faces.mp4" },
  { camera: "talking-head-1", file: "talking-head-1.mp4" },
  { camera: "talking-head-3", file: "talking-head-3.mp4" },
  { camera: "talking-head-aoc", file: "talking-head-aoc-mpeg4.mp4" },
] as const;

export type Video = (typeof VIDEOS)[number];

export function videoOf(camera: string): Video | undefined {
  return VIDEOS.find((v) => v.camera === camera);
}
