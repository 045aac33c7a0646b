/**
 * A camera's frames over its whole life: runs ffmpeg, restarts live sources with exponential
 * backoff and jitter when they drop or stall (no frame for `stallTimeoutMs`), and reports the
 * state (connecting, streaming, reconnecting, failed, done, stopped) with a reason.
 */
import { existsSync } from "node:fs";
import type { CameraSettings } from "@argus/shared/config/schema";
import { backoffDelay } from "@argus/shared/util/backoff";
import { Observable, type Subscriber } from "rxjs";
import { FfmpegRun, type StreamInfo } from "./ffmpeg.ts";
import { FramePool } from "./framePool.ts";
import { ffmpegPlan, type Source } from "./source.ts";

export type CameraState = "connecting" | "streaming" | "reconnecting" | "failed" | "done" | "stopped";

export interface Frame {
  /** Analyzed-frame counter over the camera's life (continues across reconnects). */
  seq: number;
  /** Position in the stream: frame time for files, time since the camera started for live sources. */
  streamTimeMs: number;
  /** Wall-clock capture time, epoch ms. */
  capturedAt: number;
  width: number;
  height: number;
  /** RGB24, width * height * 3 bytes. */
  data: Buffer;
  /** performance.now() when the frame arrived (latency figures). */
  arrivedAt: number;
  /** Hands `data` back for reuse: call once the frame is analyzed or dropped, and do not touch it after. */
  release(): void;
}

export type SourceEvent =
  | { type: "state"; state: CameraState; reason?: string }
  | { type: "info"; info: StreamInfo }
  | { type: "frame"; frame: Frame };

export interface SourceOptions {
  source: Source;
  settings: Pick<CameraSettings, "fps" | "maxWidth" | "inputOptions" | "reconnect"> & { loop?: boolean };
  /** Files and lavfi: at the native rate (true) or as fast as possible. */
  realtime: boolean;
  random?: () => number;
}

export class CameraSource {
  readonly events$: Observable<SourceEvent>;
  private run: FfmpegRun | undefined;
  private paused = false;
  private readonly pool = new FramePool();

  constructor(private readonly o: SourceOptions) {
    this.events$ = new Observable<SourceEvent>((sub) => this.start(sub));
  }

  /** Backpressure (files only; live sources drop frames instead). */
  pause(): void {
    this.paused = true;
    this.run?.pause();
  }

  resume(): void {
    this.paused = false;
    this.run?.resume();
  }

  private start(sub: Subscriber<SourceEvent>): () => void {
    const { source, settings, realtime } = this.o;
    const rc = settings.reconnect;
    const startWall = Date.now();
    let seq = 0;
    let attempt = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let lastFrameAt = 0;
    let stallTimer: NodeJS.Timeout | undefined;
    let state: CameraState | undefined;

    const setState = (s: CameraState, reason?: string) => {
      state = s;
      sub.next({ type: "state", state: s, reason });
    };

    const connect = () => {
      if (stopped) return;
      if (source.kind === "file" && !existsSync(source.input)) {
        setState("failed", `source file not found: ${source.input}`);
        sub.complete();
        return;
      }
      setState(attempt === 0 ? "connecting" : "reconnecting", attempt === 0 ? undefined : `attempt ${attempt + 1}`);
      const plan = ffmpegPlan(source, { ...settings, realtime });
      let info: StreamInfo | undefined;
      let runStartWall = Date.now();
      lastFrameAt = Date.now();
      const run = new FfmpegRun(
        source.input,
        plan,
        { fps: settings.fps, alloc: (n) => this.pool.take(n) },
        {
          onInfo: (i) => {
            info = i;
            runStartWall = Date.now();
            sub.next({ type: "info", info: i });
          },
          onFrame: (data, index) => {
            if (stopped || !info) return;
            lastFrameAt = Date.now();
            if (state !== "streaming") {
              attempt = 0;
              setState("streaming");
            }
            const fileTime = (index * 1000) / info.fps;
            const streamTimeMs = source.live ? Date.now() - startWall : fileTime;
            const capturedAt = source.live ? Date.now() : realtime ? runStartWall + fileTime : startWall + fileTime;
            sub.next({
              type: "frame",
              frame: {
                seq: seq++,
                streamTimeMs,
                capturedAt,
                width: info.width,
                height: info.height,
                data,
                arrivedAt: performance.now(),
                release: () => this.pool.give(data),
              },
            });
          },
          onEnd: (err) => {
            if (this.run === run) this.run = undefined;
            clearInterval(stallTimer);
            if (stopped) return;
            if (!source.live) {
              // A file is read once: its end is final, and so is a decoding failure.
              if (err) setState("failed", err.message);
              else setState("done");
              sub.complete();
              return;
            }
            retry(err ? err.message : "the stream ended");
          },
        },
      );
      this.run = run;
      if (this.paused) run.pause();
      // Live sources: a stalled connection (no frame for a while) is restarted.
      if (source.live) {
        stallTimer = setInterval(
          () => {
            if (Date.now() - lastFrameAt > rc.stallTimeoutMs && this.run === run) {
              clearInterval(stallTimer);
              this.run = undefined;
              run.stop();
              retry(`stalled: no frame for ${(rc.stallTimeoutMs / 1000).toFixed(1)} s`);
            }
          },
          Math.min(1000, rc.stallTimeoutMs / 4),
        );
      }
    };

    const retry = (reason: string) => {
      attempt++;
      if (rc.maxAttempts > 0 && attempt >= rc.maxAttempts) {
        setState("failed", `${reason}; gave up after ${attempt} attempts`);
        sub.complete();
        return;
      }
      const delay = backoffDelay(rc, attempt, this.o.random);
      // No frame memory is held while the source is down (frames still in analysis are not touched).
      this.pool.clear();
      setState("reconnecting", `${reason}; retry in ${(delay / 1000).toFixed(1)} s`);
      timer = setTimeout(connect, delay);
    };

    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(stallTimer);
      this.pool.clear();
      this.run?.stop();
      this.run = undefined;
    };
  }
}
