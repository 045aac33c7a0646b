/**
 * Turns a chosen shot into a FaceEvent (shared schema v1): the embeddings are computed here, for
 * chosen shots and their track's template shots only, and the crops are JPEG-encoded (in libuv's
 * thread pool, off the event loop).
 *
 * Template and face check: the shot carries its track's few best shots (bestshot/selector.ts).
 * Those not embedded yet are embedded and checked (faceCheck.ts: the second look runs in the same
 * worker call) in one batched call. The event's face is the chosen shot if it passes the check,
 * else the best shot of the track that does; `embedding.template` is the quality-weighted mean of
 * the passing shots' embeddings (all shots' when none passes), renormalized, and
 * `embedding.shots` those shots' embeddings and qualities; `faceCheck` is the event face's check.
 */
import { randomUUID } from "node:crypto";
import {
  type AnalyzedFace,
  checkFace,
  EMBEDDING_DIM,
  embeddingToBase64,
  encodeJpeg,
  FACE_EVENT_SCHEMA,
  FACE_EVENT_VERSION,
  type FaceCheck,
  type FaceEngine,
  type FaceEvent,
  FaceEventSchema,
  featureModelId,
  formatZodError,
  l2normalize,
} from "@argus/shared";
import type { Kept } from "../bestshot/selector.ts";
import type { Shot, ShotPayload } from "../bestshot/shot.ts";

export interface EventContext {
  agentId: string;
  cameraId: string;
  engine: FaceEngine;
  jpegQuality: number;
  /** bestShot.contextFactor, the rule the context crop was cut by: with it the event says which region it is. */
  contextFactor?: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** The template shots of a shot (the shot alone when it has none). */
export function templateShots(shot: Shot): Kept<ShotPayload>[] {
  return shot.shots?.length ? shot.shots : [{ quality: shot.quality, atMs: shot.atMs, payload: shot.payload }];
}

/** A face still needs its embedding or its check's second look (faces without landmark geometry are not checked). */
export function needsEmbedding(f: AnalyzedFace): boolean {
  return !f.embedding || (f.geometry !== undefined && f.secondLook === undefined);
}

/** Embeds and checks, in one batched call, the template shots' faces that need it. */
export async function embedShots(engine: FaceEngine, payloads: readonly ShotPayload[]): Promise<void> {
  const need = [...new Map(payloads.filter((p) => needsEmbedding(p.face)).map((p) => [p.face, p])).values()];
  if (need.length === 0) return;
  await engine.embed(
    need.map((p) => p.face),
    { check: true, contexts: need.map((p) => p.look) },
  );
}

function check(f: AnalyzedFace): FaceCheck | undefined {
  return f.geometry ? checkFace(f.geometry, f.secondLook) : undefined;
}

/** The template: quality-weighted mean of the embeddings, renormalized. */
export function templateOf(shots: readonly { embedding: Float32Array; quality: number }[]): Float32Array {
  const t = new Float32Array(EMBEDDING_DIM);
  for (const s of shots) {
    const w = Math.max(s.quality, 0.01);
    for (let i = 0; i < EMBEDDING_DIM; i++) t[i] += w * s.embedding[i];
  }
  return l2normalize(t);
}

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
  const members = templateShots(shot);
  await embedShots(
    ctx.engine,
    members.map((m) => m.payload),
  );
  const checks = members.map((m) => check(m.payload.face));
  const passing = members.filter((_, i) => checks[i]?.passed);
  const chosenIdx = members.findIndex((m) => m.payload === shot.payload);
  // The chosen shot, unless it fails the check and another shot of the track passes it.
  let main = chosenIdx >= 0 ? members[chosenIdx] : members[0];
  if (!check(main.payload.face)?.passed && passing.length > 0)
    main = passing.reduce((a, b) => (b.quality > a.quality ? b : a));
  const used = (passing.length > 0 ? passing : members).filter((m) => m.payload.face.embedding);
  const { face, context, frame } = main.payload;
  if (!face.embedding) await ctx.engine.embed([face]);
  const faceCheck = check(face);
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
      ...(used.length > 0
        ? {
            template: embeddingToBase64(
              templateOf(used.map((m) => ({ embedding: m.payload.face.embedding!, quality: m.quality }))),
            ),
            shots: used.map((m) => ({
              vector: embeddingToBase64(m.payload.face.embedding!),
              quality: Math.min(1, Math.max(0, m.quality)),
            })),
          }
        : {}),
    },
    ...(faceCheck ? { faceCheck } : {}),
    ...(shot.track ? { track: { ...shot.track, frames: Math.max(1, shot.track.frames) } } : {}),
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
