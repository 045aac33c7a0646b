/**
 * A shot: the best-shot selector's choice for a track, with what the event is made of (the analyzed
 * face, its context crop, the frame it came from). Made by camera/analyzer, turned into a FaceEvent
 * by publish/event, timed by publish/sinks.
 */
import type { AnalyzedFace, RgbImage } from "@argus/shared";
import type { Chosen } from "./selector.ts";

export interface ShotPayload {
  face: AnalyzedFace;
  context: RgbImage;
  /** The face check's second look in the face's surroundings (contextCanvas), cut with the frame. */
  look?: RgbImage;
  /** `arrivedAt`: performance.now() when the frame came from ffmpeg. */
  frame: { width: number; height: number; capturedAt: number; streamTimeMs: number; seq: number; arrivedAt: number };
}

/** The track's evidence when the shot was chosen (the event's `track`). */
export interface TrackInfo {
  frames: number;
  durationMs: number;
  continues?: string;
}

export interface Shot extends Chosen<ShotPayload> {
  mode: "offline" | "realtime";
  track?: TrackInfo;
  /** performance.now() when the shot was chosen (latency to publish). */
  chosenAt: number;
}
