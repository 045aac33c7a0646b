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
  /** `arrivedAt`: performance.now() when the frame came from ffmpeg. */
  frame: { width: number; height: number; capturedAt: number; streamTimeMs: number; seq: number; arrivedAt: number };
}

export interface Shot extends Chosen<ShotPayload> {
  mode: "offline" | "realtime";
  /** performance.now() when the shot was chosen (latency to publish). */
  chosenAt: number;
}
