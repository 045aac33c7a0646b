/**
 * A pool of worker threads, each with its own FacePipeline (its own ONNX sessions). onnxruntime-node
 * runs `session.run` synchronously on the calling thread, so in one thread every model run of every
 * camera shares one core; the pool spreads whole calls (a frame's detection and analysis, a batch
 * of embeddings, a photo) over the cores. It serves the same FaceEngine calls as FacePipeline.
 *
 * Frames: an image whose pixels live in a SharedArrayBuffer is shared with the worker, not copied
 * (the agent's frame buffers are); any other image is copied once. The caller must not overwrite
 * the pixels until the call has settled. Embedding calls are urgent (they are on the path from a
 * chosen shot to its event): they go ahead of waiting frame calls and, when no worker is idle, run
 * beside a frame call in progress, between its model runs.
 *
 * Failures: an error thrown in a worker rejects that call with the same message (an ArgusError
 * keeps its code). A worker that dies rejects its calls with a FacePoolError and is replaced; if
 * replacements cannot start, the pool fails every call with the reason. `close()` waits for the
 * calls in progress, rejects the waiting ones and ends the workers.
 */
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { ArgusError, type ErrorCode } from "../errors.ts";
import { type RgbImage, rgbImage } from "../image/types.ts";
import type { SecondLook } from "./faceCheck.ts";
import type {
  AnalyzedFace,
  EmbedOptions,
  FaceEngine,
  FrameDetection,
  FrameOptions,
  PipelineOptions,
  ProcessOptions,
} from "./pipeline.ts";

export interface FacePoolOptions extends PipelineOptions {
  /** Worker threads (default: $ARGUS_FACE_WORKERS, else the number of cores). */
  workers?: number;
  /** The worker module (default: poolWorker.ts beside this file); tests substitute their own. */
  entry?: URL;
  /**
   * V8's initial old-generation size for the worker threads started from now on, MB (a
   * process-wide V8 flag, read when a thread starts). A worker allocates frame-sized buffers (the
   * detector's input, pyramid levels, model outputs) that die young but count towards V8's heap
   * limits: with the default limit of a small heap, they set off a full mark-compact every frame
   * or two. 128 MB: 30 of them in 5 plays of the station crowd became 1-2, for about 40 MB more
   * memory. Unset: V8's default.
   */
  initialOldSpaceMb?: number;
}

/** The pool itself failed: a worker died or could not start, or the pool is closed. */
export class FacePoolError extends Error {
  constructor(
    readonly reason: "worker-exited" | "start-failed" | "closed",
    message: string,
  ) {
    super(message);
    this.name = "FacePoolError";
  }
}

/** Requests and replies between the pool and a worker (see poolWorker.ts). */
export type PoolCall =
  | { op: "analyzeFrame"; image: RgbImage; options: FrameOptions }
  | { op: "embed"; aligned: RgbImage[]; check?: boolean; contexts?: (RgbImage | undefined)[]; todo?: number[] }
  | { op: "process"; image: RgbImage; options: ProcessOptions };

export type PoolRequest = PoolCall & { id: number };

export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

export type PoolReply =
  | { type: "ready" }
  | { type: "fatal"; error: WireError }
  | { type: "result"; id: number; result: unknown }
  | { type: "error"; id: number; error: WireError };

export function toWire(e: unknown): WireError {
  if (e instanceof ArgusError) return { name: e.name, message: e.message, code: e.code, details: e.details };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}

function fromWire(w: WireError): Error {
  if (w.code) return new ArgusError(w.code as ErrorCode, w.message, w.details);
  const e = w.name === "RangeError" ? new RangeError(w.message) : new Error(w.message);
  if (e.name !== w.name) e.name = w.name;
  return e;
}

interface Task {
  req: PoolCall;
  transfer: ArrayBuffer[];
  urgent: boolean;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  /** Calls sent, by id: at most one frame or photo call, and at most one urgent call beside it. */
  tasks: Map<number, Task>;
  /** Set once the worker has gone (exit seen or terminate requested). */
  gone: boolean;
}

/** Consecutive failed starts after which the pool gives up (a broken model file, not a one-off crash). */
const MAX_START_FAILURES = 3;

export class FacePool implements FaceEngine {
  private readonly slots: Slot[] = [];
  private readonly urgent: Task[] = [];
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private startFailures = 0;
  private broken: Error | undefined;
  /** All workers started once: from then on a dead worker is replaced. */
  private live = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly entry: URL,
    private readonly options: PipelineOptions,
  ) {}

  /** Starts the workers and waits until each has loaded its models; rejects with the first worker's error. */
  static async create(opts: FacePoolOptions = {}): Promise<FacePool> {
    const { workers, entry, initialOldSpaceMb, ...options } = opts;
    if (initialOldSpaceMb !== undefined) {
      if (!Number.isInteger(initialOldSpaceMb) || initialOldSpaceMb < 1)
        throw new RangeError(`initialOldSpaceMb must be a positive integer, got ${initialOldSpaceMb}`);
      setFlagsFromString(`--initial-old-space-size=${initialOldSpaceMb}`);
    }
    const env = Number(process.env.ARGUS_FACE_WORKERS);
    const n = workers ?? (Number.isInteger(env) && env > 0 ? env : availableParallelism());
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`a face pool needs at least 1 worker, got ${n}`);
    const pool = new FacePool(entry ?? new URL("./poolWorker.ts", import.meta.url), options);
    const starts = Array.from({ length: n }, (_, i) => pool.spawn(i));
    try {
      await Promise.all(starts);
    } catch (e) {
      await pool.close();
      throw e;
    }
    pool.live = true;
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.urgent.length + this.waiting.length;
  }

  async analyzeFrame(image: RgbImage, options: FrameOptions = {}): Promise<FrameDetection[]> {
    const [img, transfer] = shareable(image);
    return (await this.call({ op: "analyzeFrame", image: img, options }, transfer)) as FrameDetection[];
  }

  async process(image: RgbImage, options: ProcessOptions = {}): Promise<AnalyzedFace[]> {
    const [img, transfer] = shareable(image);
    return (await this.call({ op: "process", image: img, options }, transfer)) as AnalyzedFace[];
  }

  /**
   * Computes the embedding of each face (in place): one urgent worker call, one batched model run
   * (with `check`, also each face's second-look score, one batched detector run in the same call).
   */
  async embed(faces: AnalyzedFace[], options: EmbedOptions = {}): Promise<AnalyzedFace[]> {
    if (faces.length === 0) return faces;
    if (!options.check) {
      const vecs = await this.embedMany(faces.map((f) => f.aligned));
      faces.forEach((f, k) => {
        f.embedding = vecs[k];
      });
      return faces;
    }
    // Faces already embedded keep their embedding: only their second look is computed.
    const todo = faces.map((_, k) => k).filter((k) => !faces[k].embedding);
    const req: PoolCall = {
      op: "embed",
      aligned: faces.map((f) => f.aligned),
      check: true,
      contexts: options.contexts,
      todo,
    };
    const r = (await this.call(req, [], true)) as { vecs: Float32Array[]; looks: SecondLook[] };
    todo.forEach((k, i) => {
      faces[k].embedding = r.vecs[i];
    });
    faces.forEach((f, k) => {
      f.secondLook = r.looks[k];
    });
    return faces;
  }

  /** Embeddings of aligned 112x112 faces (AnalyzedFace.aligned): one urgent worker call, one batched model run. */
  async embedMany(aligned: readonly RgbImage[]): Promise<Float32Array[]> {
    if (aligned.length === 0) return [];
    return (await this.call({ op: "embed", aligned: [...aligned] }, [], true)) as Float32Array[];
  }

  /** Waits for the calls in progress, rejects the waiting ones, ends the workers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const err = new FacePoolError("closed", "the face pool is closed");
      for (const t of this.urgent.splice(0)) t.reject(err);
      for (const t of this.waiting.splice(0)) t.reject(err);
      await Promise.all(
        this.slots.map(async (s) => {
          while (s.tasks.size > 0 && !s.gone) await new Promise((r) => s.worker.once("message", r).once("exit", r));
          s.gone = true;
          await s.worker.terminate();
        }),
      );
    })();
    return this.closing;
  }

  private call(req: PoolCall, transfer: ArrayBuffer[], urgent = false): Promise<unknown> {
    if (this.closing) return Promise.reject(new FacePoolError("closed", "the face pool is closed"));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      (urgent ? this.urgent : this.waiting).push({ req, transfer, urgent, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Urgent calls go to an idle worker, else beside a frame call in progress (workers yield between
   * model runs, so the two interleave); other calls go to idle workers.
   */
  private dispatch(): void {
    const open = (s: Slot) => s.ready && !s.gone;
    const idle = (s: Slot) => open(s) && s.tasks.size === 0;
    while (this.urgent.length > 0) {
      const s =
        this.slots.find(idle) ?? this.slots.find((x) => open(x) && ![...x.tasks.values()].some((t) => t.urgent));
      if (!s) break;
      this.send(s, this.urgent.shift()!);
    }
    while (this.waiting.length > 0) {
      const s = this.slots.find(idle);
      if (!s) break;
      this.send(s, this.waiting.shift()!);
    }
  }

  private send(s: Slot, t: Task): void {
    const id = this.nextId++;
    try {
      s.worker.postMessage({ ...t.req, id }, t.transfer);
    } catch (e) {
      // Not cloneable (e.g. a function in the options): that call fails, the worker stays free.
      t.reject(e as Error);
      return;
    }
    s.tasks.set(id, t);
    // A busy worker keeps the process alive; idle ones do not (a pool left open does not hang an exit).
    s.worker.ref();
  }

  /** Starts worker `index`; resolves when its models are loaded. */
  private spawn(index: number): Promise<void> {
    const worker = new Worker(new URL("./poolWorkerBoot.mjs", import.meta.url), {
      workerData: { entry: this.entry.href, options: this.options },
    });
    const slot: Slot = { index, worker, ready: false, tasks: new Map(), gone: false };
    this.slots[index] = slot;
    let lastError: Error | undefined;
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (m: PoolReply) => {
        if (m.type === "ready") {
          slot.ready = true;
          this.startFailures = 0;
          worker.unref();
          resolve();
          this.dispatch();
        } else if (m.type === "fatal") {
          lastError = fromWire(m.error);
        } else {
          const t = slot.tasks.get(m.id);
          if (!t) return;
          slot.tasks.delete(m.id);
          if (slot.tasks.size === 0) worker.unref();
          if (m.type === "result") t.resolve(m.result);
          else t.reject(fromWire(m.error));
          this.dispatch();
        }
      });
      worker.on("error", (e) => {
        lastError = e;
      });
      worker.on("exit", (code) => {
        const expected = slot.gone || this.closing !== undefined;
        slot.gone = true;
        const what = `face worker ${index} exited (code ${code})${lastError ? `: ${lastError.message}` : ""}`;
        if (!slot.ready) {
          // Failed to start: the reason (missing model, bad checksum...) is the worker's own error.
          const err = lastError ?? new FacePoolError("start-failed", what);
          reject(err);
          if (!expected && this.live) this.replace(index, err);
          return;
        }
        for (const t of slot.tasks.values()) {
          t.reject(new FacePoolError("worker-exited", `${what} while running ${t.req.op}`));
        }
        slot.tasks.clear();
        if (!expected) this.replace(index, undefined);
      });
    });
  }

  /** A worker died: start another, unless starts keep failing, in which case every call fails. */
  private replace(index: number, startError: Error | undefined): void {
    if (this.closing) return;
    if (startError) this.startFailures++;
    if (this.startFailures >= MAX_START_FAILURES) {
      this.broken = new FacePoolError(
        "start-failed",
        `face workers could not start ${this.startFailures} times in a row: ${startError?.message}`,
      );
      for (const t of this.urgent.splice(0)) t.reject(this.broken);
      for (const t of this.waiting.splice(0)) t.reject(this.broken);
      return;
    }
    // Starting a worker is asynchronous; its errors are handled by the next exit.
    this.spawn(index).catch(() => {});
  }
}

/** The image as sent to a worker, validated: shared if its pixels are in shared memory, else copied once and transferred. */
function shareable(image: RgbImage): [RgbImage, ArrayBuffer[]] {
  const { data, width, height } = rgbImage(image.data, image.width, image.height);
  if (data.buffer instanceof SharedArrayBuffer) return [{ data, width, height }, []];
  const copy = new Uint8Array(data);
  return [{ data: copy, width, height }, [copy.buffer]];
}
