/**
 * The face event an agent publishes for each chosen best shot, version 1. Defined once here;
 * the agent builds events with it and the server validates incoming messages with it.
 *
 * Wire format: JSON, UTF-8. Binary fields are base64: the embedding as little-endian float32,
 * the crops as JPEG.
 */
import { z } from "zod";
import { EMBEDDING_DIM } from "../face/embed.ts";
import { formatZodError } from "../util/zodIssues.ts";

export const FACE_EVENT_SCHEMA = "argus.face-event";
export const FACE_EVENT_VERSION = 1;

/** Limits that keep one event small enough for MQTT brokers' default message sizes. */
export const MAX_FACE_JPEG_BYTES = 256 * 1024;
export const MAX_CONTEXT_JPEG_BYTES = 1024 * 1024;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces)");

const base64 = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4 + 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64");

const finite = z.number().finite();

export const BoxSchema = z.tuple([finite, finite, finite, finite]).refine((b) => b[2] >= b[0] && b[3] >= b[1], {
  message: "box must be [x1, y1, x2, y2] with x2 >= x1 and y2 >= y1",
});

export const QualitySchema = z.object({
  score: z.number().min(0).max(1),
  detScore: z.number().min(0).max(1),
  sizePx: finite.nonnegative(),
  interocularPx: finite.nonnegative(),
  sharpness: finite.nonnegative(),
  yaw: finite,
  pitch: finite,
  roll: finite,
  brightness: finite,
  contrast: finite,
});

export const FaceEventSchema = z.object({
  schema: z.literal(FACE_EVENT_SCHEMA),
  version: z.literal(FACE_EVENT_VERSION),
  /** Unique per event (UUID v4); the server drops a second delivery of the same id. */
  eventId: z.string().uuid(),
  agentId: id,
  cameraId: id,
  /** Track id, unique per camera and agent run. */
  trackId: z.string().min(1).max(128),
  /** 'offline': one event at the end of a track; 'realtime': sent as soon as good enough, then on clear improvements. */
  mode: z.enum(["offline", "realtime"]),
  /** Shot number within the track (realtime mode sends several). */
  seq: z.number().int().nonnegative(),
  /** Wall-clock capture time of the frame, ISO 8601 UTC. */
  capturedAt: z.string().datetime({ offset: true }),
  /** Position of the frame in the stream, milliseconds from the stream start. */
  streamTimeMs: finite.nonnegative(),
  frame: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  box: BoxSchema,
  landmarks5: z
    .array(z.tuple([finite, finite]))
    .length(5)
    .optional(),
  quality: QualitySchema,
  embedding: z.object({
    /** Model id and the sha256 of its file: embeddings of different models are never compared. */
    model: z.string().min(1),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
    dim: z.literal(EMBEDDING_DIM),
    /** base64 of dim little-endian float32 values, L2-normalized. */
    vector: base64(EMBEDDING_DIM * 4).refine((s) => Buffer.from(s, "base64").length === EMBEDDING_DIM * 4, {
      message: `must decode to ${EMBEDDING_DIM * 4} bytes (${EMBEDDING_DIM} float32)`,
    }),
  }),
  /** The aligned 112x112 face, JPEG, base64. */
  faceJpeg: base64(MAX_FACE_JPEG_BYTES).min(4),
  /** A larger crop around the face for context, JPEG, base64. */
  contextJpeg: base64(MAX_CONTEXT_JPEG_BYTES).optional(),
  attributes: z.object({ age: finite.optional(), gender: z.enum(["male", "female"]).optional() }).optional(),
});

export type FaceEvent = z.infer<typeof FaceEventSchema>;

export type ParseResult = { ok: true; event: FaceEvent } | { ok: false; error: string };

/** Parses a raw MQTT payload. Never throws: malformed JSON and schema violations come back as errors. */
export function parseFaceEvent(payload: Uint8Array | string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8"));
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const r = FaceEventSchema.safeParse(raw);
  if (!r.success) return { ok: false, error: formatZodError(r.error) };
  return { ok: true, event: r.data };
}
