/**
 * One camera, composed with rxjs:
 *   source (ffmpeg frames, reconnects, states)
 *     -> boundedProcess(analyze)     motion, detection, tracking, best shots; drops or pauses when behind
 *     -> shots -> concatMap(event)   embedding + JPEG crops, in order
 *     -> concatMap(deliver)          spool / file sink, in order
 * Between frames a timer ends tracks whose face has not been seen for `tracking.timeoutMs` (track
 * clock: stream time, then wall-clock time while no frame comes), and when the source is lost
 * (reconnecting) every track ends at once: nothing in progress waits for a frame that may not come.
 * Stopping ends the source, lets the frame in progress finish, ends every track (their best shots
 * still become events) and resolves `done` once everything has been handed to the sinks.
 */
import type { FaceEngine, FaceEvent, Logger } from "@argus/shared";
import type { CameraConfig } from "@argus/shared/config/schema";
import { catchError, concatMap, defer, EMPTY, filter, from, map, mergeMap, Subject, takeUntil, tap } from "rxjs";
import type { Shot } from "../bestshot/shot.ts";
import { CameraSource, type CameraState, type Frame, type SourceEvent } from "../ingest/cameraSource.ts";
import type { StreamInfo } from "../ingest/ffmpeg.ts";
import { describeSource, parseSource, type Source } from "../ingest/source.ts";
import type { AgentMetrics } from "../ops/metrics.ts";
import { buildFaceEvent, embedShots, templateShots } from "../publish/event.ts";
import { type Ended, FrameAnalyzer, type FrameResult, type FrameStats } from "./analyzer.ts";
import { boundedProcess } from "./boundedProcess.ts";

export interface RunnerContext {
  agentId: string;
  runId: string;
  /** Face detection, analysis and embeddings (the agent's worker pool). */
  engine: FaceEngine;
  metrics: AgentMetrics;
  log: Logger;
  /** The directory relative file sources are resolved against. */
  baseDir: string;
  /** Files as fast as possible (overrides fileRate). */
  fast: boolean;
  /** Hands an event to the sinks; resolves when it is stored. */
  deliver(event: FaceEvent, shot: Shot): Promise<void>;
  onState(runner: CameraRunner): void;
  /** Each decoded frame, before analysis (camera snapshots); read it synchronously only. */
  onFrame?(cam: CameraConfig, frame: Frame): void;
}

interface Made {
  ev: FaceEvent;
  shot: Shot;
}

/** One analyzed frame, or tracks ended between frames (timeout, source lost, end), with its events (being) made. */
interface Step {
  stats?: FrameStats;
  /** Tracks ended besides those of `stats` (between frames, or flushed). */
  ended: number;
  /** The step's events, made while later frames are analyzed (never rejects). */
  made: Promise<Made[]>;
}

/**
 * Frames whose events (offline best shots) may still be in the making while later frames are
 * analyzed; past this the next frame waits for the oldest batch (memory stays bounded when events
 * are made slower than frames come).
 */
export const MAX_EVENT_BATCHES_IN_PROGRESS = 4;

/** A frame, and how many times the source had been lost when it came (its tracks end first if that is news). */
interface Item {
  frame: Frame;
  lost: number;
}

/** How a camera's frames come (CameraRunner.pace). */
export type Pace = "live" | "native" | "camera" | "as-fast-as-possible";

/** The pace of a source: live, or a file's (`fast`: --fast, which overrides fileRate). */
export function cameraPace(live: boolean, fileRate: CameraConfig["fileRate"], fast: boolean): Pace {
  if (live) return "live";
  if (fast || fileRate === "fast") return "as-fast-as-possible";
  return fileRate;
}

export interface CameraCounters {
  framesDecoded: number;
  framesAnalyzed: number;
  framesDropped: number;
  faces: number;
  tracks: number;
  events: number;
}

export class CameraRunner {
  readonly source: Source;
  state: CameraState = "connecting";
  reason: string | undefined;
  info: StreamInfo | undefined;
  lastEventAt: string | undefined;
  readonly counters: CameraCounters = {
    framesDecoded: 0,
    framesAnalyzed: 0,
    framesDropped: 0,
    faces: 0,
    tracks: 0,
    events: 0,
  };
  readonly done: Promise<void>;
  private readonly stop$ = new Subject<void>();
  private readonly log: Logger;
  private stopped = false;

  constructor(
    readonly cam: CameraConfig,
    private readonly ctx: RunnerContext,
  ) {
    this.source = parseSource(cam.source, ctx.baseDir);
    this.log = ctx.log.child({ camera: cam.id });
    let resolveDone!: () => void;
    this.done = new Promise((r) => {
      resolveDone = r;
    });
    this.start(resolveDone);
  }

  /**
   * How frames come: `live` (a camera: frames at its own rate), a file at its recorded rate with
   * every frame analyzed (`native`) or as a live camera would be (`camera`: stale frames dropped),
   * or a file `as-fast-as-possible`.
   */
  get pace(): Pace {
    return cameraPace(this.source.live, this.cam.fileRate, this.ctx.fast);
  }

  /** A file (or lavfi) source that ends by itself. */
  get finite(): boolean {
    return !this.source.live;
  }

  /**
   * Embedding and crops for each chosen shot; a shot that fails is logged and skipped. The shots of
   * a frame are made together (one embedding call, JPEGs in parallel): several tracks often start
   * in the same frame, and made one by one the last would wait for all the others.
   */
  private async makeEvents(shots: Shot[]): Promise<Made[]> {
    const m = this.ctx.metrics;
    const t0 = performance.now();
    // Every shot's template shots, embedded and checked in one batched call. If the batch fails,
    // each shot below tries its own faces and fails (and is logged) alone.
    const payloads = shots.flatMap((s) => templateShots(s).map((k) => k.payload));
    if (shots.length > 1) await embedShots(this.ctx.engine, payloads).catch(() => {});
    const made = await Promise.all(
      shots.map(async (shot): Promise<Made | undefined> => {
        try {
          const ev = await buildFaceEvent(shot, {
            agentId: this.ctx.agentId,
            cameraId: this.cam.id,
            engine: this.ctx.engine,
            jpegQuality: this.cam.bestShot.jpegQuality,
            contextFactor: this.cam.bestShot.contextFactor,
          });
          m.stage.observe({ stage: "event" }, (performance.now() - t0) / 1000);
          return { ev, shot };
        } catch (e) {
          m.eventErrors.inc({ camera: this.cam.id });
          this.log.error(
            { err: (e as Error).message, track: shot.trackId },
            "camera: could not make a face event; shot skipped",
          );
          return undefined;
        }
      }),
    );
    // In the order the shots were chosen: that is the delivery order of the camera.
    return made.filter((x): x is Made => x !== undefined);
  }

  private start(resolveDone: () => void): void {
    const { cam, ctx } = this;
    const m = ctx.metrics;
    const label = { camera: cam.id };
    const pace = this.pace;
    // ffmpeg reads files at their recorded rate (-re) unless as fast as possible.
    const src = new CameraSource({ source: this.source, settings: cam, realtime: pace !== "as-fast-as-possible" });
    // Live sources (and files played as a camera) drop stale frames and age tracks by the wall clock;
    // other files analyze every frame (ffmpeg waits) on stream time: their results are reproducible.
    const live = pace === "live" || pace === "camera";
    const analyzer = new FrameAnalyzer(cam, ctx.engine, `${cam.id}-${ctx.runId}-`, { realtime: live });
    const makeEvents = (shots: Shot[]) => this.makeEvents(shots);
    const analysisFailed = (e: unknown) => {
      m.analysisErrors.inc(label);
      this.log.error({ err: (e as Error).message }, "camera: frame analysis failed; frame skipped");
    };
    // Offline best shots: events are made (embeddings, face checks, JPEG crops: pool and libuv work)
    // while the next frames are analyzed, and delivered in order below; at most
    // MAX_EVENT_BATCHES_IN_PROGRESS batches are in the making. Realtime best shots: a frame's events
    // are made before the next frame is analyzed, so a shot does not compete with later frames for
    // the cores (shot -> PUBACK p95 on one busy stream, bench/agent-latency.ts at load 3-4: 247 ms
    // overlapped, 116 ms in turn).
    const inProgress: Promise<unknown>[] = [];
    const maxInProgress = cam.bestShot.mode === "realtime" ? 0 : MAX_EVENT_BATCHES_IN_PROGRESS;
    const startEvents = async (shots: Shot[]): Promise<{ made: Promise<Made[]> }> => {
      if (shots.length === 0) return { made: Promise.resolve([]) };
      const made = makeEvents(shots);
      const settled = made.then(() => {
        inProgress.splice(inProgress.indexOf(settled), 1);
      });
      inProgress.push(settled);
      while (inProgress.length > maxInProgress) await inProgress[0];
      return { made };
    };
    /** Tracks ended between frames: a step for their events and the track gauges (none if nothing ended). */
    const endTracks = (r: Ended): Promise<Step> | undefined =>
      r.ended.length > 0 || r.shots.length > 0
        ? startEvents(r.shots).then(({ made }) => ({ ended: r.ended.length, made }))
        : undefined;
    // Times the source was reported lost (reconnecting), and up to which of them the tracks were flushed.
    let lost = 0;
    let flushedLost = 0;
    /** Every track ends if the source was lost (`at`: the count of losses) since the last flush. */
    const flushIfLost = (at: number): Ended | undefined => {
      if (at <= flushedLost) return undefined;
      flushedLost = at;
      return analyzer.flush();
    };
    const wake$ = new Subject<void>();
    this.log.info(
      {
        source: describeSource(this.source),
        kind: this.source.kind,
        fps: cam.fps,
        pace,
        dropsStaleFrames: live,
        bestShot: cam.bestShot.mode,
      },
      "camera: starting",
    );

    src.events$
      .pipe(
        takeUntil(this.stop$),
        tap((e: SourceEvent) => {
          if (e.type === "state") {
            this.setState(e.state, e.reason);
            if (e.state === "reconnecting") {
              lost++;
              wake$.next();
            }
          } else if (e.type === "info") {
            this.info = e.info;
            this.log.info(e.info, "camera: stream");
            if (e.info.inputFps && e.info.inputFps < e.info.fps) {
              this.log.warn(
                { inputFps: e.info.inputFps, fps: e.info.fps },
                "camera: analysis fps above the source's; frames repeat",
              );
            }
          }
        }),
        filter((e): e is Extract<SourceEvent, { type: "frame" }> => e.type === "frame"),
        map((e): Item => ({ frame: e.frame, lost })),
        tap(({ frame }) => {
          this.counters.framesDecoded++;
          m.framesDecoded.inc(label);
          ctx.onFrame?.(cam, frame);
        }),
        boundedProcess<Item, Step>(
          async ({ frame: f, lost: at }) => {
            // The first frame of a new connection whose loss the idle step has not handled yet.
            const flushed = flushIfLost(at);
            let r: FrameResult | undefined;
            try {
              r = await analyzer.process(f);
            } catch (e) {
              if (!flushed) throw e;
              analysisFailed(e);
            } finally {
              f.release();
            }
            const shots = [...(flushed?.shots ?? []), ...(r?.shots ?? [])];
            const { made } = await startEvents(shots);
            analyzer.frameDone();
            return { stats: r?.stats, ended: flushed?.ended.length ?? 0, made };
          },
          {
            // Two waiting frames absorb ffmpeg's bursty output without dropping; more would only add latency.
            capacity: 2,
            overflow: live ? "drop-oldest" : "pause",
            pause: () => src.pause(),
            resume: () => src.resume(),
            onDrop: ({ frame: f }) => {
              f.release();
              this.counters.framesDropped++;
              m.framesDropped.inc(label);
            },
            onError: analysisFailed,
            onComplete: () => endTracks(analyzer.flush()),
            // While no frame waits: the source was lost (every track ends), or tracks time out by the clock.
            idle: {
              everyMs: Math.max(25, Math.min(250, cam.tracking.timeoutMs / 4)),
              wake: wake$,
              run: () => endTracks(flushIfLost(lost) ?? analyzer.expire()),
            },
          },
        ),
        tap((r) => {
          if (r.ended > 0) m.tracksEnded.inc(label, r.ended);
          m.tracksLive.set(label, analyzer.liveTracks);
          const s = r.stats;
          if (!s) return;
          this.counters.framesAnalyzed++;
          this.counters.faces += s.faces;
          this.counters.tracks += s.newTracks;
          m.framesAnalyzed.inc(label);
          m.motionRatio.set(label, s.motionRatio);
          if (s.regions > 0) m.framesDetected.inc(label);
          if (s.motionRatio > 0 && s.regions > 0) m.motionFrames.inc(label);
          m.faces.inc(label, s.faces);
          m.tracksStarted.inc(label, s.newTracks);
          m.tracksEnded.inc(label, s.endedTracks);
          m.stage.observe({ stage: "motion" }, s.ms.motion / 1000);
          if (s.regions > 0) m.stage.observe({ stage: "detect" }, s.ms.detect / 1000);
          if (s.faces > 0) m.stage.observe({ stage: "analyze" }, s.ms.analyze / 1000);
        }),
        // Each step's events in order, once made.
        concatMap((r) => from(r.made).pipe(mergeMap((made) => from(made)))),
        concatMap(({ ev, shot }) =>
          defer(async () => {
            await ctx.deliver(ev, shot);
            this.counters.events++;
            this.lastEventAt = new Date().toISOString();
            m.events.inc(label);
          }).pipe(
            catchError((e: Error) => {
              this.log.error({ err: e.message, eventId: ev.eventId }, "camera: could not store a face event");
              return EMPTY;
            }),
          ),
        ),
      )
      .subscribe({
        error: (e: Error) => {
          this.log.error({ err: e.message }, "camera: pipeline failed");
          this.setState("failed", e.message);
          resolveDone();
        },
        complete: () => {
          if (this.stopped && !this.terminal) this.setState("stopped", this.reason);
          this.log.info({ state: this.state, ...this.counters }, "camera: finished");
          resolveDone();
        },
      });
  }

  private setState(state: CameraState, reason?: string): void {
    if (this.stopped && state !== "stopped") return;
    const changed = state !== this.state || reason !== this.reason;
    if (state === "reconnecting" && this.state !== "reconnecting")
      this.ctx.metrics.reconnects.inc({ camera: this.cam.id });
    this.state = state;
    this.reason = reason;
    if (!changed) return;
    const lvl = state === "failed" ? "error" : state === "reconnecting" ? "warn" : "info";
    this.log[lvl]({ state, reason }, `camera: ${state}`);
    this.ctx.onState(this);
  }

  /** Stops the source; resolves when the last events are stored. */
  /** Ended by itself: a file that was read to its end, or a source that failed. */
  get terminal(): boolean {
    return this.state === "done" || this.state === "failed";
  }

  async stop(reason = "stopped"): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (!this.terminal) this.reason = reason;
      this.stop$.next();
      this.stop$.complete();
    }
    await this.done;
  }
}
