/**
 * Turns a chosen shot into a FaceEvent (shared schema v1): the embedding is computed here, for
 * chosen shots only, and the crops are JPEG-encoded (in libuv's thread pool, off the event loop).
 */
import { randomUUID } from "node:crypto";
import {
  EMBEDDING_DIM,
  embeddingToBase64,
  encodeJpeg,
  FACE_EVENT_SCHEMA,
  FACE_EVENT_VERSION,
  type FaceEngine,
  type FaceEvent,
  FaceEventSchema,
  featureModelId,
  formatZodError,
} from "@argus/shared";
import type { Shot } from "../bestshot/shot.ts";

export interface EventContext {
  agentId: string;
  cameraId: string;
  engine: FaceEngine;
  jpegQuality: number;
  /** bestShot.contextFactor, the rule the context crop was cut by: with it the event says which region it is. */
  contextFactor?: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

type Box = [number, number, number, number];

/**
 * The frame region [x1, y1, x2, y2] (x2, y2 exclusive) that the context crop of `box` covers: the
 * same arithmetic as cropRegion (shared/src/face/pipeline.ts), which cuts it; agent/test checks the
 * two agree. The crop is this region scaled (down only) to at most contextMaxSide.
 */
export function contextRegion(box: readonly number[], frame: { width: number; height: number }, factor: number): Box {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * factor;
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(frame.width, Math.round(cx + side / 2));
  const y1 = Math.min(frame.height, Math.round(cy + side / 2));
  return [x0, y0, x0 + Math.max(1, x1 - x0), y0 + Math.max(1, y1 - y0)];
}

/**
 * The region, if the crop's own size agrees with it (same shape within a pixel of rounding): a
 * crop cut by another rule gets no contextBox rather than a wrong one.
 */
function checkedRegion(r: Box, crop: { width: number; height: number }): Box | undefined {
  const w = r[2] - r[0];
  const h = r[3] - r[1];
  // cropRegion scales both sides by one factor: the longer side's is exact (it became contextMaxSide).
  const s = w >= h ? crop.width / w : crop.height / h;
  if (s > 1 + 1e-9) return undefined;
  return Math.abs(w * s - crop.width) <= 0.51 + 1e-9 && Math.abs(h * s - crop.height) <= 0.51 + 1e-9 ? r : undefined;
}

export async function buildFaceEvent(shot: Shot, ctx: EventContext): Promise<FaceEvent> {
  const { face, context, frame } = shot.payload;
  if (!face.embedding) await ctx.engine.embed([face]);
  const [faceJpeg, contextJpeg] = await Promise.all([
    encodeJpeg(face.aligned, ctx.jpegQuality),
    encodeJpeg(context, ctx.jpegQuality),
  ]);
  const model = featureModelId();
  const q = face.quality;
  const event: FaceEvent = {
    schema: FACE_EVENT_SCHEMA,
    version: FACE_EVENT_VERSION,
    eventId: randomUUID(),
    agentId: ctx.agentId,
    cameraId: ctx.cameraId,
    trackId: shot.trackId,
    mode: shot.mode,
    seq: shot.seq,
    capturedAt: new Date(frame.capturedAt).toISOString(),
    streamTimeMs: Math.round(frame.streamTimeMs),
    frame: { width: frame.width, height: frame.height },
    box: face.box.map(r2) as FaceEvent["box"],
    landmarks5: face.landmarks5.map(([x, y]) => [r2(x), r2(y)] as [number, number]),
    quality: {
      score: Math.min(1, Math.max(0, q.score)),
      detScore: Math.min(1, Math.max(0, q.detScore)),
      sizePx: r2(q.sizePx),
      interocularPx: r2(q.interocularPx),
      sharpness: r2(q.sharpness),
      yaw: r2(q.yaw),
      pitch: r2(q.pitch),
      roll: r2(q.roll),
      brightness: r2(q.brightness),
      contrast: r2(q.contrast),
    },
    embedding: {
      model: model.id,
      modelSha256: model.sha256,
      dim: EMBEDDING_DIM,
      vector: embeddingToBase64(face.embedding!),
    },
    faceJpeg: faceJpeg.toString("base64"),
    contextJpeg: contextJpeg.toString("base64"),
  };
  const region =
    ctx.contextFactor !== undefined
      ? checkedRegion(contextRegion(face.box, frame, ctx.contextFactor), context)
      : undefined;
  if (region) event.contextBox = region;
  // The server validates with the same schema: an event it would reject is a bug here, caught early.
  const r = FaceEventSchema.safeParse(event);
  if (!r.success) throw new Error(`built an invalid face event: ${formatZodError(r.error)}`);
  return event;
}
