/** A real RTSP server (GStreamer) restarted and frozen mid-stream: the camera reconnects with backoff and reports its states. */

import { CameraSettingsSchema } from "@argus/shared/config/schema";
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { CameraSource, type SourceEvent } from "../src/ingest/cameraSource.ts";
import { parseSource } from "../src/ingest/source.ts";
import { freePort, HAS_DATA, sleep, video, waitFor } from "./helpers/env.ts";
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
