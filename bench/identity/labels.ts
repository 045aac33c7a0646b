/**
 * The hand-made identity labels of the benchmark videos (bench/identity/labels.json) and the
 * matcher: which labelled person (or `non-face`, or `unsure`) is an event or sighting of a video,
 * given its stream time and box.
 *
 * A labelled detection matches when it is at about the same stream time (within `toleranceMs`;
 * the labels hold every analyzed frame at 5 fps, so normally the same frame) and overlaps the box
 * with IoU >= `minIou` (0.3). Among matches, the nearest in time wins, then the largest overlap.
 * A track (several events, or a sighting's shots) takes the majority label of its samples, and is
 * reported as mixed when they disagree.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type Box = [number, number, number, number];
/** A labelled detection: stream time (ms) and box corners in source pixels, integers. */
export type Sample = [number, number, number, number, number];

/** `non-face`: a false detection; `unsure`: a face whose identity the labeller could not tell. */
export const NON_FACE = "non-face";
export const UNSURE = "unsure";

export interface LabelledEntry {
  /** Unique within the file: the person's label, or e.g. "station/poster" for a non-face. */
  id: string;
  /** The person's label (the same across videos for the same person), or `non-face` / `unsure`. */
  label: string;
  description: string;
  detections: Sample[];
}

export interface VideoLabels {
  camera: string;
  frame: [number, number];
  /** Per recording (see the header): its tracks by class, for the record. */
  counts: Record<
    string,
    { tracks: number; identities: number; nonFaceTracks: number; unsureTracks: number; mixedTracks: number }
  >;
  entries: LabelledEntry[];
}

export interface LabelsFile {
  header: Record<string, unknown>;
  /** By video file name (in ../shared/data/video). */
  videos: Record<string, VideoLabels>;
}

export const LABELS_PATH = join(dirname(fileURLToPath(import.meta.url)), "labels.json");

export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export interface MatchOptions {
  /** Largest time difference to a labelled detection, ms (default 250: the same frame at 5 fps, +-1 frame at 4 fps and up). */
  toleranceMs?: number;
  /** Smallest overlap with a labelled detection (default 0.3). */
  minIou?: number;
}

export interface Match {
  label: string;
  id: string;
  iou: number;
  dtMs: number;
}

export interface TrackLabel {
  /** The majority label; null when no sample matched. */
  label: string | null;
  id: string | null;
  /** Samples per label (unmatched samples under `null`). */
  votes: Map<string | null, number>;
  /** True when matched samples disagree. */
  mixed: boolean;
}

export class Labels {
  /** Per video file: labelled detections sorted by time. */
  private readonly byVideo = new Map<string, { t: number; box: Box; entry: LabelledEntry }[]>();
  private readonly cameraToVideo = new Map<string, string>();

  constructor(readonly file: LabelsFile) {
    for (const [video, v] of Object.entries(file.videos)) {
      const rows = v.entries.flatMap((entry) =>
        entry.detections.map(([t, x1, y1, x2, y2]) => ({ t, box: [x1, y1, x2, y2] as Box, entry })),
      );
      rows.sort((a, b) => a.t - b.t);
      this.byVideo.set(video, rows);
      this.cameraToVideo.set(v.camera, video);
    }
  }

  static load(path = LABELS_PATH): Labels {
    return new Labels(JSON.parse(readFileSync(path, "utf8")) as LabelsFile);
  }

  get videos(): string[] {
    return [...this.byVideo.keys()];
  }

  /** The video of a camera id of the labelling recording, or the video itself when given a file name. */
  video(videoOrCamera: string): string | undefined {
    return this.byVideo.has(videoOrCamera) ? videoOrCamera : this.cameraToVideo.get(videoOrCamera);
  }

  entries(video: string): LabelledEntry[] {
    return this.file.videos[video]?.entries ?? [];
  }

  /** The label of one detection (an event's best shot, a sighting's box) of a video; null: none matched. */
  match(video: string, streamTimeMs: number, box: readonly number[], o: MatchOptions = {}): Match | null {
    const rows = this.byVideo.get(video);
    if (!rows) throw new Error(`no labels for video '${video}'`);
    const tol = o.toleranceMs ?? 250;
    const minIou = o.minIou ?? 0.3;
    let best: Match | null = null;
    for (const r of rows) {
      const dt = Math.abs(r.t - streamTimeMs);
      if (dt > tol) continue;
      const ov = iou(r.box, box);
      if (ov < minIou) continue;
      if (!best || dt < best.dtMs || (dt === best.dtMs && ov > best.iou))
        best = { label: r.entry.label, id: r.entry.id, iou: ov, dtMs: dt };
    }
    return best;
  }

  /** Majority label of a track's samples (ties: the label seen first). */
  matchTrack(
    video: string,
    samples: readonly { streamTimeMs: number; box: readonly number[] }[],
    o: MatchOptions = {},
  ): TrackLabel {
    const votes = new Map<string | null, number>();
    const ids = new Map<string, string>();
    for (const s of samples) {
      const m = this.match(video, s.streamTimeMs, s.box, o);
      votes.set(m?.label ?? null, (votes.get(m?.label ?? null) ?? 0) + 1);
      if (m && !ids.has(m.label)) ids.set(m.label, m.id);
    }
    let label: string | null = null;
    let n = 0;
    for (const [l, c] of votes) if (l !== null && c > n) [label, n] = [l, c];
    const matched = [...votes.keys()].filter((l) => l !== null);
    return { label, id: label === null ? null : ids.get(label)!, votes, mixed: matched.length > 1 };
  }
}

/** A real person: neither `non-face` nor `unsure`. */
export function isPerson(label: string | null): label is string {
  return label !== null && label !== NON_FACE && label !== UNSURE;
}
