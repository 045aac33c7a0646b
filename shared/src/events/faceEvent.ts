/**
 * The face event an agent publishes for each chosen best shot, version 1. Defined once here;
 * the agent builds events with it and the server validates incoming messages with it.
 *
 * Wire format: JSON, UTF-8. Binary fields are base64: the embedding as little-endian float32,
 * the crops as JPEG.
 */
import { z } from "zod";
import { EMBEDDING_DIM } from "../face/embed.ts";
import { checkJpeg, type JpegLimits } from "../image/jpegCheck.ts";
import { formatZodError } from "../util/zodIssues.ts";

export const FACE_EVENT_SCHEMA = "argus.face-event";
export const FACE_EVENT_VERSION = 1;

/** Limits that keep one event small enough for MQTT brokers' default message sizes. */
export const MAX_FACE_JPEG_BYTES = 256 * 1024;
export const MAX_CONTEXT_JPEG_BYTES = 1024 * 1024;

/**
 * Physical ranges of an event's numbers: anything outside is a broken or hostile sender, refused
 * here so that the agent (which validates what it builds) and the server agree.
 */
export const FACE_EVENT_BOUNDS = {
  /** Largest frame side, pixels (16K video and more). */
  maxFrameSide: 16_384,
  /** A box or landmark may reach up to one frame size beyond each edge (faces cut by the border). */
  boxMarginFrames: 1,
  /** Shots of one track (realtime mode sends a few per track). */
  maxSeq: 1_000_000,
  /** Position in the stream: ten years of uninterrupted video. */
  maxStreamTimeMs: 10 * 365.25 * 86_400_000,
  /** Variance of the Laplacian of 0-255 grey values: at most 1020^2. */
  maxSharpness: 1_100_000,
  maxAge: 130,
  /** The aligned face crop is 112x112; larger models may come. */
  maxFaceJpegSide: 1024,
  maxContextJpegSide: 8192,
  maxContextJpegPixels: 40_000_000,
  /** Shot embeddings sent with a track's template. */
  maxTemplateShots: 8,
} as const;
const B = FACE_EVENT_BOUNDS;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces)");

const base64Max = (maxBytes: number) => Math.ceil(maxBytes / 3) * 4 + 4;
const base64 = (maxBytes: number) =>
  z
    .string()
    .max(base64Max(maxBytes))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64");

/** base64 of a JPEG that passes the structural check (checkJpeg) within these limits. */
const jpeg = (maxBytes: number, limits: JpegLimits) =>
  base64(maxBytes).superRefine((s, ctx) => {
    if (s.length > base64Max(maxBytes)) return; // reported by max(); not decoded
    const r = checkJpeg(Buffer.from(s, "base64"), limits);
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
  });

const coord = z
  .number()
  .min(-B.maxFrameSide * (1 + B.boxMarginFrames))
  .max(B.maxFrameSide * (2 + B.boxMarginFrames));
const px = z
  .number()
  .min(0)
  .max(B.maxFrameSide * (1 + 2 * B.boxMarginFrames));
const degrees = z.number().min(-180).max(180);
const grey = z.number().min(0).max(255);

export const BoxSchema = z.tuple([coord, coord, coord, coord]).refine((b) => b[2] >= b[0] && b[3] >= b[1], {
  message: "box must be [x1, y1, x2, y2] with x2 >= x1 and y2 >= y1",
});

export const QualitySchema = z.object({
  score: z.number().min(0).max(1),
  detScore: z.number().min(0).max(1),
  sizePx: px,
  interocularPx: px,
  sharpness: z.number().min(0).max(B.maxSharpness),
  yaw: degrees,
  pitch: degrees,
  roll: degrees,
  brightness: grey,
  contrast: grey,
});

/** base64 of EMBEDDING_DIM little-endian float32 values, L2-normalized. */
const vector = () =>
  base64(EMBEDDING_DIM * 4).refine((s) => Buffer.from(s, "base64").length === EMBEDDING_DIM * 4, {
    message: `must decode to ${EMBEDDING_DIM * 4} bytes (${EMBEDDING_DIM} float32)`,
  });

export const FaceEventSchema = z
  .object({
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
    seq: z.number().int().min(0).max(B.maxSeq),
    /**
     * Wall-clock capture time of the frame, ISO 8601 UTC. The server trusts it only within its clock
     * skew window (server settings `ingest.maxClockAheadSeconds`, `ingest.maxEventAgeDays`).
     */
    capturedAt: z.string().datetime({ offset: true }),
    /** Position of the frame in the stream, milliseconds from the stream start. */
    streamTimeMs: z.number().min(0).max(B.maxStreamTimeMs),
    frame: z.object({
      width: z.number().int().min(1).max(B.maxFrameSide),
      height: z.number().int().min(1).max(B.maxFrameSide),
    }),
    box: BoxSchema,
    landmarks5: z
      .array(z.tuple([coord, coord]))
      .length(5)
      .optional(),
    quality: QualitySchema,
    embedding: z.object({
      /** Model id and the sha256 of its file: embeddings of different models are never compared. */
      model: z.string().min(1).max(128),
      modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
      dim: z.literal(EMBEDDING_DIM),
      /** base64 of dim little-endian float32 values, L2-normalized: the embedding of this shot's face. */
      vector: vector(),
      /**
       * The track's template: the quality-weighted mean of the embeddings of the track's best few
       * aligned faces, renormalized. The server identifies with it when present.
       */
      template: vector().optional(),
      /** The embeddings of the shots the template was made of (for the server's representatives). */
      shots: z
        .array(z.object({ vector: vector(), quality: z.number().min(0).max(1) }))
        .max(B.maxTemplateShots)
        .optional(),
    }),
    /**
     * The agent's face check of this shot: plausible landmark geometry, a second look at the aligned
     * crop, pose within limits. `failed` names the checks that failed; absent: not checked (older agents).
     */
    faceCheck: z
      .object({
        passed: z.boolean(),
        failed: z.array(z.string().min(1).max(64)).max(16),
        /** The check's own scores (0-1 where higher is more face-like), for diagnosis. */
        scores: z.record(z.string().max(64), z.number().min(-1e3).max(1e3)).optional(),
      })
      .optional(),
    /** How much evidence the track holds: analyzed frames with the face, and how long it lasted. */
    track: z
      .object({
        frames: z.number().int().min(1).max(B.maxSeq),
        durationMs: z.number().min(0).max(B.maxStreamTimeMs),
        /** The agent joined this track to an earlier one of the same face (the earlier track id). */
        continues: z.string().min(1).max(128).optional(),
      })
      .optional(),
    /** The aligned 112x112 face, JPEG, base64. */
    faceJpeg: jpeg(MAX_FACE_JPEG_BYTES, { maxSide: B.maxFaceJpegSide }),
    /** A larger crop around the face for context, JPEG, base64. */
    contextJpeg: jpeg(MAX_CONTEXT_JPEG_BYTES, {
      maxSide: B.maxContextJpegSide,
      maxPixels: B.maxContextJpegPixels,
    }).optional(),
    /**
     * The region of the frame the context crop covers, [x1, y1, x2, y2] in frame pixels (x2, y2
     * exclusive): the crop is this region, scaled to the JPEG's size. Absent: older agents (the
     * region then has to be inferred from the crop rule).
     */
    contextBox: BoxSchema.optional(),
    attributes: z
      .object({ age: z.number().min(0).max(B.maxAge).optional(), gender: z.enum(["male", "female"]).optional() })
      .optional(),
  })
  .superRefine((e, ctx) => {
    // Geometry relative to the frame: within one frame size beyond each edge.
    const { width: w, height: h } = e.frame;
    const m = B.boxMarginFrames;
    const inX = (x: number) => x >= -m * w && x <= (1 + m) * w;
    const inY = (y: number) => y >= -m * h && y <= (1 + m) * h;
    const where = `within ${m} frame size(s) of the ${w}x${h} frame`;
    if (!inX(e.box[0]) || !inX(e.box[2]) || !inY(e.box[1]) || !inY(e.box[3]))
      ctx.addIssue({ code: "custom", path: ["box"], message: `box must lie ${where}` });
    const cb = e.contextBox;
    if (cb && (cb[0] < 0 || cb[1] < 0 || cb[2] > w || cb[3] > h || cb[2] <= cb[0] || cb[3] <= cb[1]))
      ctx.addIssue({
        code: "custom",
        path: ["contextBox"],
        message: `contextBox must be a non-empty region inside the ${w}x${h} frame`,
      });
    e.landmarks5?.forEach(([x, y], i) => {
      if (!inX(x) || !inY(y))
        ctx.addIssue({ code: "custom", path: ["landmarks5", i], message: `landmark must lie ${where}` });
    });
    const side = (1 + 2 * m) * Math.max(w, h);
    for (const k of ["sizePx", "interocularPx"] as const)
      if (e.quality[k] > side)
        ctx.addIssue({
          code: "custom",
          path: ["quality", k],
          message: `must be at most ${side} for a ${w}x${h} frame`,
        });
  });

/**
 * The largest JSON a schema-valid event can take (both crops at their limits, every string at its
 * longest, with room for the numbers and keys): brokers must accept messages of this size.
 */
export const MAX_FACE_EVENT_BYTES =
  base64Max(MAX_FACE_JPEG_BYTES) +
  base64Max(MAX_CONTEXT_JPEG_BYTES) +
  (2 + B.maxTemplateShots) * (base64Max(EMBEDDING_DIM * 4) + 64) +
  4096;

export type FaceEvent = z.infer<typeof FaceEventSchema>;

export type ParseResult = { ok: true; event: FaceEvent } | { ok: false; error: string };

/**
 * JSON arrays and objects a face event may contain: about a dozen, plus brackets inside its few free
 * strings (trackId, model). Counted before parsing: JSON nested a million deep parses in about a
 * second, and nothing honest needs it.
 */
export const MAX_EVENT_JSON_CONTAINERS = 512;

/** Whether the text has more than `limit` '[' and '{' (in strings or not): a cheap, native byte search. */
export function jsonContainersOver(text: Uint8Array | string, limit: number): boolean {
  let n = 0;
  for (const c of ["[", "{"]) {
    const b = typeof text === "string" ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    for (let i = b.indexOf(c); i >= 0; i = b.indexOf(c, i + 1)) if (++n > limit) return true;
  }
  return false;
}

/** Parses a raw MQTT payload. Never throws: malformed JSON and schema violations come back as errors. */
export function parseFaceEvent(payload: Uint8Array | string): ParseResult {
  if (jsonContainersOver(payload, MAX_EVENT_JSON_CONTAINERS))
    return { ok: false, error: `not a face event: more than ${MAX_EVENT_JSON_CONTAINERS} JSON arrays/objects` };
  let raw: unknown;
  try {
    raw = JSON.parse(
      typeof payload === "string"
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"),
    );
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const r = FaceEventSchema.safeParse(raw);
  if (!r.success) return { ok: false, error: formatZodError(r.error) };
  return { ok: true, event: r.data };
}
