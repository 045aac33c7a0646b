/**
 * A real RTSP server (GStreamer) restarted and frozen mid-stream: the camera reconnects with backoff
 * and reports its states; and the whole agent, whose tracks in progress become events when the
 * camera goes down instead of waiting for frames that do not come.
 */
import { join } from "node:path";
import { createLogger } from "@argus/shared";
import { CameraSettingsSchema } from "@argus/shared/config/schema";
import { FacePool } from "@argus/shared/face/pool";
import type { Subscription } from "rxjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../src/index.ts";
import { CameraSource, type SourceEvent } from "../src/ingest/cameraSource.ts";
import { parseSource } from "../src/ingest/source.ts";
import { makeConfigDir, readJsonl } from "./helpers/agentDir.ts";
import { freePort, HAS_DATA, sleep, tempDir, video, waitFor } from "./helpers/env.ts";
import { HAS_RTSP, type RtspServer, startRtsp } from "./helpers/rtsp.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function watch(url: string, reconnect: object) {
  const src = new CameraSource({
    source: parseSource(url, "/"),
    settings: CameraSettingsSchema.parse({ fps: 5, reconnect }),
    realtime: true,
  });
  const events: SourceEvent[] = [];
  const sub: Subscription = src.events$.subscribe((e) => events.push(e));
  cleanups.push(() => sub.unsubscribe());
  const states = () => events.flatMap((e) => (e.type === "state" ? [e.state] : []));
  const reasons = () => events.flatMap((e) => (e.type === "state" && e.reason ? [`${e.state}: ${e.reason}`] : []));
  const frames = () => events.flatMap((e) => (e.type === "frame" ? [e.frame] : []));
  return { events, states, reasons, frames };
}

describe.skipIf(!HAS_DATA || !HAS_RTSP)("RTSP source", () => {
  it("reconnects after the server restarts mid-stream, with backoff, and streams again", async () => {
    const port = await freePort();
    let server: RtspServer = await startRtsp(video("station-crowd-1080p.mp4"), port);
    cleanups.push(() => server.stop());
    const cam = watch(server.url, { initialDelayMs: 200, maxDelayMs: 1000, jitter: 0.2, stallTimeoutMs: 5000 });
    await waitFor(() => cam.frames().length >= 3, "the first frames", 20_000);
    expect(cam.states().slice(0, 2)).toEqual(["connecting", "streaming"]);
    expect(cam.frames()[0]).toMatchObject({ width: 1920, height: 1080 });

    await server.stop();
    await waitFor(() => cam.states().includes("reconnecting"), "the reconnecting state", 10_000);
    const before = cam.frames().length;
    // While the server is down, attempts fail and are retried with growing delays.
    await sleep(2500);
    const retries = cam.reasons().filter((r) => r.startsWith("reconnecting:") && /retry in/.test(r));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    const delays = retries.map((r) => Number(/retry in ([\d.]+) s/.exec(r)![1]));
    expect(Math.max(...delays)).toBeGreaterThan(delays[0]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1.0);

    server = await startRtsp(video("station-crowd-1080p.mp4"), port);
    await waitFor(() => cam.frames().length >= before + 3, "frames after the restart", 20_000);
    const st = cam.states();
    expect(st.lastIndexOf("streaming")).toBeGreaterThan(st.indexOf("reconnecting"));
    expect(st.at(-1)).toBe("streaming");
    // Frame numbers go on across the reconnect.
    const seqs = cam.frames().map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it("restarts a stalled stream (connection open, no frames)", async () => {
    const port = await freePort();
    const server = await startRtsp(video("talking-head-3.mp4"), port);
    cleanups.push(() => server.stop());
    const cam = watch(server.url, { initialDelayMs: 200, maxDelayMs: 500, stallTimeoutMs: 1500 });
    await waitFor(() => cam.frames().length >= 2, "the first frames", 20_000);
    // Freeze the server: the TCP connection stays up but nothing arrives.
    server.proc.kill("SIGSTOP");
    cleanups.push(() => server.proc.kill("SIGCONT"));
    await waitFor(() => cam.reasons().some((r) => /stalled: no frame for 1\.5 s/.test(r)), "stall detection", 10_000);
    server.proc.kill("SIGCONT");
    const n = cam.frames().length;
    await waitFor(() => cam.frames().length > n, "frames after the stall", 20_000);
    expect(cam.states().at(-1)).toBe("streaming");
  });
});

describe.skipIf(!HAS_DATA || !HAS_RTSP)("agent with an RTSP camera that goes down", () => {
  /** tracking.timeoutMs of the camera, and the time allowed beyond it for the event to be made and written. */
  const TIMEOUT = 1500;
  const MARGIN = 2500;
  let pool: FacePool;
  beforeAll(async () => {
    pool = await FacePool.create({ workers: 1 });
  });
  afterAll(() => pool?.close());

  const liveTracks = async (a: RunningAgent) =>
    (await a.metrics.tracksLive.get()).values.find((v) => v.labels.camera === "door")?.value ?? 0;

  async function startCamera(url: string, reconnect: object, timeoutMs = TIMEOUT) {
    const out = join(tempDir("out"), "events.jsonl");
    const dir = makeConfigDir(undefined, {
      door: { id: "door", source: url, fps: 5, minQuality: 0.05, tracking: { timeoutMs }, reconnect },
    });
    const a = await startAgent({
      configDir: dir,
      output: out,
      watch: false,
      opsPort: null,
      processMetrics: false,
      pipeline: pool,
      logger: createLogger("agent", "silent"),
    });
    cleanups.push(() => a.stop());
    // Offline mode: one event per track, made when the track ends.
    await waitFor(async () => (await liveTracks(a)) > 0, "a tracked face", 30_000);
    return { a, events: () => readJsonl(out), camera: () => a.status().cameras.door };
  }

  it("the server stops: the track in progress becomes an event within timeoutMs, and the camera is reconnecting", async () => {
    const server = await startRtsp(video("talking-head-3.mp4"), await freePort());
    cleanups.push(() => server.stop());
    const { a, events, camera } = await startCamera(server.url, { initialDelayMs: 500, maxDelayMs: 2000 });
    const before = events().length;
    await server.stop();
    await waitFor(() => events().length > before, "the event of the track in progress", TIMEOUT + MARGIN);
    await waitFor(() => camera().state === "reconnecting", "the reconnecting state", 10_000);
    expect(await liveTracks(a)).toBe(0);
    expect(events().at(-1)).toMatchObject({ cameraId: "door", mode: "offline" });
  });

  it("the connection drops: the tracks end with it, without waiting for their timeout", async () => {
    const server = await startRtsp(video("talking-head-3.mp4"), await freePort());
    cleanups.push(() => server.stop());
    // A timeout far longer than the wait below: only the loss of the source can end the track.
    const { a, events, camera } = await startCamera(server.url, { initialDelayMs: 5000 }, 60_000);
    const before = events().length;
    await server.stop();
    await waitFor(() => events().length > before, "the event of the track in progress", MARGIN);
    expect(camera().state).toBe("reconnecting");
    expect(await liveTracks(a)).toBe(0);
  });

  it("the server freezes: the track ends after timeoutMs of wall-clock time, long before the stall is detected", async () => {
    const server = await startRtsp(video("talking-head-3.mp4"), await freePort());
    cleanups.push(() => server.stop());
    const { a, events, camera } = await startCamera(server.url, { stallTimeoutMs: 30_000 });
    const before = events().length;
    // The TCP connection stays open but no frame comes: only the clock can end the track.
    server.proc.kill("SIGSTOP");
    cleanups.push(() => server.proc.kill("SIGCONT"));
    await waitFor(() => events().length > before, "the event of the track in progress", TIMEOUT + MARGIN);
    expect(camera().state).toBe("streaming");
    expect(await liveTracks(a)).toBe(0);
  });
});
