/**
 * Configuration schemas of the edge agent: `agent.yaml` and one `cameras/<name>.yaml` per camera.
 * Defined once here (zod) so the agent validates with them and other tools (server, console) can
 * read the same files. Every field but a camera's `id` and `source` has a default.
 *
 * Positions in frames (masks, regions of interest) are polygons in relative coordinates: [x, y]
 * pairs with 0 <= x, y <= 1 (fractions of the frame width and height), so a config survives a
 * change of camera resolution.
 */
import { z } from "zod";

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "an id of letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces)");

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const num = (min: number, max = Number.POSITIVE_INFINITY) => z.number().min(min).max(max);

const point = z.tuple([num(0, 1), num(0, 1)]);
/** A polygon of at least three [x, y] points in relative frame coordinates (0-1). */
export const PolygonSchema = z.array(point).min(3, "a polygon needs at least 3 [x, y] points");
export type Polygon = z.infer<typeof PolygonSchema>;

export const MotionSchema = z
  .object({
    /** Off: every analyzed frame is searched in full (costly; for tests and static cameras). */
    enabled: z.boolean().default(true),
    /** Width of the downscaled grey image motion is computed on, in pixels. */
    width: int(32, 1920).default(320),
    /** Grey-level difference (0-255) from the background that counts as change. */
    threshold: int(1, 255).default(22),
    /** Smallest moving blob, as a fraction of the frame area, that is a motion region. */
    minArea: num(0, 1).default(0.0015),
    /** Weight of a new frame in the running-average background (0-1; larger adapts faster). */
    backgroundRate: num(0.001, 1).default(0.1),
    /** Morphology on the change mask: erosions remove speckle, dilations join the parts of a person. */
    erode: int(0, 5).default(1),
    dilate: int(0, 10).default(3),
    /** Areas where motion is ignored (trees, screens, roads), as polygons. */
    mask: z.array(PolygonSchema).default([]),
  })
  .strict();

export const DetectionSchema = z
  .object({
    /** Minimum detector score (0-1). */
    scoreThreshold: num(0.05, 1).default(0.7),
    /** Search the whole frame every N analyzed frames so faces that do not move are not missed (0: never). */
    fullFrameEvery: int(0).default(25),
    /**
     * New faces are searched for (motion regions, full-frame passes) on every Nth analyzed frame;
     * the frames between search only around live tracks. 2 cuts the detector's work in busy scenes
     * by about a third for at most one analyzed frame's delay before a new face is first seen.
     */
    searchEvery: int(1, 10).default(2),
    /** Where faces are searched; default the whole frame. */
    roi: PolygonSchema.nullable().default(null),
    /** Motion and track regions are grown by this fraction of their size before searching. */
    regionMargin: num(0, 2).default(0.3),
  })
  .strict();

export const TrackingSchema = z
  .object({
    /** A track ends when its face has not been seen for this long (occlusions shorter than this are bridged). */
    timeoutMs: int(100, 600_000).default(2000),
    /** A long track is closed (its best shot sent) after this long, and continues as a new track. */
    maxDurationMs: int(1000).default(60_000),
    /** Minimum overlap (IoU) of a detection with a track's predicted box to continue it. */
    minIou: num(0, 1).default(0.15),
  })
  .strict();

export const BestShotSchema = z
  .object({
    /** offline: one event per track, its best shot, when the track ends; realtime: send when good enough, then on clear improvements. */
    mode: z.enum(["offline", "realtime"]).default("offline"),
    /** realtime: least time between two events of one track. */
    minIntervalMs: int(0).default(2000),
    /** realtime: a later shot is sent only if its quality beats the last sent one by this much. */
    improvement: num(0, 1).default(0.08),
    /** Faces whose center lies outside this polygon are never sent; default the whole frame. */
    roi: PolygonSchema.nullable().default(null),
    /** Context crop: the face box grown by this factor, longest side at most maxSide pixels. */
    contextFactor: num(1, 10).default(3),
    contextMaxSide: int(64, 4096).default(480),
    jpegQuality: int(30, 100).default(88),
  })
  .strict();

export const ReconnectSchema = z
  .object({
    initialDelayMs: int(10).default(1000),
    maxDelayMs: int(10).default(30_000),
    factor: num(1, 10).default(2),
    /** Random spread of each delay, as a fraction (0.2: +-20%). */
    jitter: num(0, 1).default(0.2),
    /** A live source that delivers no frame for this long is restarted. */
    stallTimeoutMs: int(500).default(10_000),
    /** Give up (state 'failed') after this many failed attempts in a row; 0: never. */
    maxAttempts: int(0).default(0),
  })
  .strict();

/** Every camera field except identity and source; `cameraDefaults` in agent.yaml has this shape. */
export const CameraSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Frames analyzed per second (ffmpeg keeps this many of the source's frames). */
    fps: num(0.1, 60).default(5),
    /** Files only: 'native' plays at the recorded rate (as a camera would), 'fast' as fast as possible. */
    fileRate: z.enum(["native", "fast"]).default("native"),
    /** Extra ffmpeg input options, e.g. ["-rtsp_transport", "tcp"]. */
    inputOptions: z.array(z.string()).default([]),
    /** Frames wider than this are downscaled by ffmpeg (0: never). */
    maxWidth: int(0).default(0),
    /** Smallest face, in source pixels (box height), that is searched for and sent. */
    minFaceSize: int(8, 2000).default(40),
    /** Smallest combined quality score (0-1) a face needs to be sent. */
    minQuality: num(0, 1).default(0.1),
    motion: MotionSchema.prefault({}),
    detection: DetectionSchema.prefault({}),
    tracking: TrackingSchema.prefault({}),
    bestShot: BestShotSchema.prefault({}),
    reconnect: ReconnectSchema.prefault({}),
  })
  .strict();

export const CameraSchema = CameraSettingsSchema.extend({
  id,
  name: z.string().max(200).optional(),
  /** rtsp:// or rtsps:// URL, a file path (relative to the config directory), a V4L2 device (/dev/video0) or lavfi:<graph>. */
  source: z.string().min(1, "a source is required"),
}).strict();

export type CameraSettings = z.infer<typeof CameraSettingsSchema>;
export type CameraConfig = z.infer<typeof CameraSchema>;

export const BrokerSchema = z
  .object({
    /** mqtt://host:port or mqtts://host:port (credentials go in username/password, not the URL). */
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, "an mqtt://, mqtts://, ws:// or wss:// URL"),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "topic levels of letters, digits, '_', '.', '-' joined by '/'")
      .default("argus"),
    clientId: z.string().min(1).max(128).optional(),
    keepaliveSec: int(5, 3600).default(30),
    reconnectPeriodMs: int(100, 600_000).default(2000),
    connectTimeoutMs: int(100, 600_000).default(10_000),
    /** Face events sent before waiting for PUBACKs. */
    inflight: int(1, 100).default(8),
    /** A CA certificate (PEM) for mqtts:// to a broker with a private CA. */
    caFile: z.string().optional(),
  })
  .strict();

export const SpoolSchema = z
  .object({
    /** Directory of the store-and-forward spool (relative to the config directory). */
    dir: z.string().min(1).default(".spool"),
    /** Caps: past either, the oldest events are dropped (counted and logged). */
    maxBytes: int(1024).default(1024 * 1024 * 1024),
    maxEvents: int(1).default(200_000),
    /** The spool drops its oldest events rather than fill the disk below this many free bytes. */
    minFreeBytes: int(0).default(256 * 1024 * 1024),
  })
  .strict();

export const OpsSchema = z
  .object({
    /** Address of the metrics and health HTTP endpoint; null port disables it. */
    host: z.string().default("127.0.0.1"),
    port: int(0, 65535).nullable().default(9464),
    /** Period of the retained status messages and status log lines. */
    statusIntervalMs: int(500).default(15_000),
  })
  .strict();

export const AgentSchema = z
  .object({
    id: id.default("agent-1"),
    /** Absent: no MQTT (use --output). */
    broker: BrokerSchema.optional(),
    spool: SpoolSchema.prefault({}),
    ops: OpsSchema.prefault({}),
    /** Defaults for every camera file (each field can be overridden per camera). */
    cameraDefaults: z.record(z.string(), z.unknown()).default({}),
    /** Threads per ONNX model run: 1 suits several streams on few cores. */
    intraOpThreads: int(1, 64).default(1),
    /** Process files as fast as possible (as --fast). */
    fast: z.boolean().default(false),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentSchema>;
export type BrokerConfig = z.infer<typeof BrokerSchema>;
export type SpoolConfig = z.infer<typeof SpoolSchema>;
export type OpsConfig = z.infer<typeof OpsSchema>;
