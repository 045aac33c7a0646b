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
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    "expected an id of letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces)",
  );

// zod's int() is already bounded to safe integers.
const int = (min: number, max?: number) =>
  max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max);
const num = (min: number, max?: number) => (max === undefined ? z.number().min(min) : z.number().min(min).max(max));

const point = z.tuple([num(0, 1), num(0, 1)]);
export const PolygonSchema = z
  .array(point)
  .min(3, "expected a polygon of at least 3 [x, y] points")
  .meta({ title: "polygon", description: "At least three [x, y] points in relative frame coordinates (0-1)" });
export type Polygon = z.infer<typeof PolygonSchema>;

export const MotionSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Off: every analyzed frame is searched in full (costly; for tests and static cameras)"),
    width: int(32, 1920).default(320).describe("Width of the downscaled grey image motion is computed on, in pixels"),
    threshold: int(1, 255)
      .default(22)
      .describe("Grey-level difference (0-255) from the background that counts as change"),
    minArea: num(0, 1)
      .default(0.0015)
      .describe("Smallest moving blob, as a fraction of the frame area, that is a motion region"),
    backgroundRate: num(0.001, 1)
      .default(0.1)
      .describe("Weight of a new frame in the running-average background (0-1; larger adapts faster)"),
    erode: int(0, 5).default(1).describe("Erosions of the change mask: they remove speckle"),
    dilate: int(0, 10)
      .default(3)
      .describe("Dilations of the change mask (after erosion): they join the parts of a person"),
    mask: z
      .array(PolygonSchema)
      .default([])
      .describe("Areas where motion is ignored (trees, screens, roads), as polygons"),
  })
  .strict();

export const DetectionSchema = z
  .object({
    scoreThreshold: num(0.05, 1).default(0.7).describe("Minimum detector score (0-1)"),
    fullFrameEvery: int(0)
      .default(25)
      .describe("Search the whole frame every N analyzed frames so faces that do not move are not missed (0: never)"),
    searchEvery: int(1, 10)
      .default(2)
      .describe(
        "New faces are searched for (motion regions, full-frame passes) on every Nth analyzed frame; the frames between search only around live tracks. 2 cuts the detector's work in busy scenes by about a third for at most one analyzed frame's delay before a new face is first seen",
      ),
    roi: PolygonSchema.nullable().default(null).describe("Where faces are searched; default the whole frame"),
    regionMargin: num(0, 2)
      .default(0.3)
      .describe("Motion and track regions are grown by this fraction of their size before searching"),
  })
  .strict();

export const TrackingSchema = z
  .object({
    timeoutMs: int(100, 600_000)
      .default(2000)
      .describe(
        "A track ends when its face has not been seen for this long (occlusions shorter than this are bridged)",
      ),
    maxDurationMs: int(1000)
      .default(60_000)
      .describe("A long track is closed (its best shot sent) after this long, and continues as a new track"),
    minIou: num(0, 1)
      .default(0.15)
      .describe("Minimum overlap (IoU) of a detection with a track's predicted box to continue it"),
  })
  .strict();

export const BestShotSchema = z
  .object({
    mode: z
      .enum(["offline", "realtime"])
      .default("offline")
      .describe(
        "offline: one event per track, its best shot, when the track ends; realtime: send when good enough, then on clear improvements",
      ),
    minIntervalMs: int(0).default(2000).describe("realtime: least time between two events of one track"),
    improvement: num(0, 1)
      .default(0.08)
      .describe("realtime: a later shot is sent only if its quality beats the last sent one by this much"),
    roi: PolygonSchema.nullable()
      .default(null)
      .describe("Faces whose center lies outside this polygon are never sent; default the whole frame"),
    contextFactor: num(1, 10).default(3).describe("Context crop: the face box grown by this factor"),
    contextMaxSide: int(64, 4096).default(480).describe("Context crop: longest side at most this many pixels"),
    jpegQuality: int(30, 100).default(88).describe("JPEG quality of the face and context crops"),
  })
  .strict();

export const ReconnectSchema = z
  .object({
    initialDelayMs: int(10).default(1000).describe("A dropped live source is first retried after this long"),
    maxDelayMs: int(10).default(30_000).describe("Longest wait between two retries"),
    factor: num(1, 10).default(2).describe("Each failed retry multiplies the wait by this"),
    jitter: num(0, 1).default(0.2).describe("Random spread of each delay, as a fraction (0.2: +-20%)"),
    stallTimeoutMs: int(500)
      .default(10_000)
      .describe("A live source that delivers no frame for this long is restarted"),
    maxAttempts: int(0)
      .default(0)
      .describe("Give up (state 'failed') after this many failed attempts in a row; 0: never"),
  })
  .strict();

export const SnapshotSchema = z
  .object({
    everySeconds: num(0, 86_400)
      .default(30)
      .describe(
        "A small JPEG of the camera's view is published (retained) this often, for the console's Cameras page; 0: never",
      ),
    width: int(64, 1280).default(320).describe("Snapshot width in pixels (the height follows the frame's shape)"),
    jpegQuality: int(30, 95).default(70).describe("JPEG quality of the snapshot"),
  })
  .strict();

/** Every camera field except identity and source; `cameraDefaults` in agent.yaml has this shape. */
export const CameraSettingsSchema = z
  .object({
    enabled: z.boolean().default(true).describe("false: the camera is not started (reported as disabled)"),
    fps: num(0.1, 60).default(5).describe("Frames analyzed per second (ffmpeg keeps this many of the source's frames)"),
    fileRate: z
      .enum(["native", "fast", "camera"])
      .default("native")
      .describe(
        "Files only: 'native' plays at the recorded rate, every frame analyzed (ffmpeg waits when analysis falls behind: results are reproducible); 'fast' as fast as possible; 'camera' at the recorded rate as a live camera (stale frames dropped when analysis falls behind, tracks age by the wall clock: for capacity tests)",
      ),
    loop: z
      // true/false also as text: the environment (ARGUS_LOOP_FILES) sets it for every camera.
      .preprocess(
        (v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v),
        z.boolean().default(false),
      )
      .describe(
        "Files only: play the file again from its start when it ends, forever (ffmpeg -stream_loop -1): a file never ends, so not with --once",
      ),
    inputOptions: z
      .array(z.string())
      .default([])
      .describe('Extra ffmpeg input options, e.g. ["-rtsp_transport", "tcp"]'),
    maxWidth: int(0).default(0).describe("Frames wider than this are downscaled by ffmpeg (0: never)"),
    minFaceSize: int(8, 2000)
      .default(40)
      .describe("Smallest face, in source pixels (box height), that is searched for and sent"),
    minQuality: num(0, 1).default(0.1).describe("Smallest combined quality score (0-1) a face needs to be sent"),
    motion: MotionSchema.prefault({}).describe(
      "Motion detection: only moving areas (and live tracks) are searched for faces",
    ),
    detection: DetectionSchema.prefault({}).describe("Face detection"),
    tracking: TrackingSchema.prefault({}).describe("Following faces from frame to frame"),
    bestShot: BestShotSchema.prefault({}).describe("Which shots of a track become events"),
    reconnect: ReconnectSchema.prefault({}).describe("Live sources: retries with exponential backoff and jitter"),
    snapshot: SnapshotSchema.prefault({}).describe("A recent picture of the camera's view for the console"),
  })
  .strict();

export const CameraSchema = z
  .object({
    id: id.describe("The camera's id, unique within the agent (in topics and events)"),
    name: z.string().max(200).optional().describe("A name for people"),
    source: z
      .string()
      .min(1, "expected a source (URL, file, device or lavfi graph)")
      .describe(
        "`rtsp://` or `rtsps://` URL, a file path (relative to the config directory), a V4L2 device (`/dev/video0`) or `lavfi:<graph>`",
      ),
    ...CameraSettingsSchema.shape,
  })
  .strict();

export type CameraSettings = z.infer<typeof CameraSettingsSchema>;
export type SnapshotSettings = z.infer<typeof SnapshotSchema>;
export type CameraConfig = z.infer<typeof CameraSchema>;

export const BrokerSchema = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, "expected an mqtt://, mqtts://, ws:// or wss:// URL")
      .describe("mqtt://host:port or mqtts://host:port (credentials go in username/password, not the URL)"),
    username: z.string().min(1).optional().describe("The agent's broker login (required; or ARGUS_BROKER_USERNAME)"),
    password: z.string().min(1).optional().describe("Its password (required; keep it in ARGUS_BROKER_PASSWORD)"),
    topicPrefix: z
      .string()
      .regex(
        /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
        "expected topic levels of letters, digits, '_', '.', '-' joined by '/'",
      )
      .default("argus")
      .describe("First level of every topic: `<prefix>/v1/agents/<id>/cameras/<camera>/faces`"),
    clientId: z.string().min(1).max(128).optional().describe("MQTT client id; default `argus-agent-<id>`"),
    keepaliveSec: int(5, 3600).default(30).describe("MQTT keepalive"),
    reconnectPeriodMs: int(100, 600_000).default(2000).describe("Wait between reconnection attempts to the broker"),
    connectTimeoutMs: int(100, 600_000).default(10_000).describe("A connection attempt fails after this long"),
    inflight: int(1, 100).default(8).describe("Face events sent before waiting for PUBACKs"),
    caFile: z.string().optional().describe("A CA certificate (PEM) for mqtts:// to a broker with a private CA"),
  })
  .strict();

export const SpoolSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .default(".spool")
      .describe("Directory of the store-and-forward spool (relative to the config directory)"),
    maxBytes: int(1024)
      .default(1024 * 1024 * 1024)
      .describe("Cap on the spool's size: past it the oldest events are dropped (counted and logged)"),
    maxEvents: int(1).default(200_000).describe("Cap on the spooled events: past it the oldest are dropped"),
    minFreeBytes: int(0)
      .default(256 * 1024 * 1024)
      .describe("The spool drops its oldest events rather than fill the disk below this many free bytes"),
  })
  .strict();

export const OpsSchema = z
  .object({
    host: z.string().default("127.0.0.1").describe("Address of the `/metrics`, `/health` and `/status` HTTP endpoint"),
    port: int(0, 65535).nullable().default(9464).describe("Its port; null: no endpoint (0: any free port)"),
    statusIntervalMs: int(500).default(15_000).describe("Period of the retained status messages and status log lines"),
  })
  .strict();

export const AgentSchema = z
  .object({
    id: id.default("agent-1").describe("The agent's id (in topics, events and its broker login)"),
    broker: BrokerSchema.optional().describe("Absent: no MQTT (use `--output`)"),
    spool: SpoolSchema.prefault({}).describe("Store and forward: events wait here until the broker acknowledges them"),
    ops: OpsSchema.prefault({}).describe("Metrics, health and status"),
    cameraDefaults: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("Defaults for every camera file (each field can be overridden per camera)"),
    intraOpThreads: int(1, 64).default(1).describe("Threads per ONNX model run: 1 suits several streams on few cores"),
    fast: z.boolean().default(false).describe("Process files as fast as possible (as `--fast`)"),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentSchema>;
export type BrokerConfig = z.infer<typeof BrokerSchema>;
export type SpoolConfig = z.infer<typeof SpoolSchema>;
export type OpsConfig = z.infer<typeof OpsSchema>;
