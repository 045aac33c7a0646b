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
}

const r2 = (v: number) => Math.round(v * 100) / 100;

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
  // The server validates with the same schema: an event it would reject is a bug here, caught early.
  const r = FaceEventSchema.safeParse(event);
  if (!r.success) throw new Error(`built an invalid face event: ${formatZodError(r.error)}`);
  return event;
}
