/**
 * The agent with a real Mosquitto (password file, ACL, persistence): a broker outage in the middle
 * of the videos with every event arriving exactly once, the spool surviving an agent restart,
 * refused credentials, retained status and the last will.
 */
import type { ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { topics } from "@argus/shared";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAgent } from "../src/index.ts";
import { makeConfigDir, readJsonl, type Subscriber, subscribe } from "./helpers/agentDir.ts";
import { type AgentRun, runAgentCli } from "./helpers/cli.ts";
import { HAS_DATA, sleep, tempDir, video, waitFor } from "./helpers/env.ts";
import { aclFor, type Broker, createBroker, HAS_MOSQUITTO } from "./helpers/mosquitto.ts";

const AGENT_PW = "agent-pw-Zq7x";
const SERVER_PW = "server-pw-Lm3k";
const t = topics("argus");

let broker: Broker;
beforeAll(async () => {
  if (!HAS_MOSQUITTO || !HAS_DATA) return;
  broker = await createBroker(
    { "site-a": AGENT_PW, "site-b": AGENT_PW, "site-c": AGENT_PW, server: SERVER_PW },
    aclFor(["site-a", "site-b", "site-c"]),
  );
  await broker.start();
});
afterAll(async () => {
  await broker?.stop();
});

const agentYaml = (id: string, spoolDir: string, extra: object = {}) => ({
  id,
  broker: { url: broker.url, username: id, password: AGENT_PW, reconnectPeriodMs: 250, inflight: 4 },
  spool: { dir: spoolDir },
  ops: { port: null, statusIntervalMs: 1000 },
  ...extra,
});

const quiet = { ARGUS_LOG_LEVEL: "silent" };

/** The real CLI in a child process (its own logger, signals, exit code). */
function runCli(args: string[], env: Record<string, string>): AgentRun {
  const run = runAgentCli(args, env);
  spawned.push(run.proc);
  return run;
}

/** CLI processes of this file: none may outlive a failed test. */
const spawned: ChildProcess[] = [];
afterEach(() => {
  for (const p of spawned.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

const exitOf = (p: ChildProcess) =>
  new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once("exit", (c) => r(c))));

describe.skipIf(!HAS_MOSQUITTO || !HAS_DATA)("agent with Mosquitto", () => {
  it("a broker outage mid-video: every event reaches the subscriber, once by event id, in order per camera", async () => {
    const spool = tempDir("spool");
    const out = join(tempDir("out"), "events.jsonl");
    const dir = makeConfigDir(agentYaml("site-a", spool), {
      station: {
        id: "station",
        source: video("station-crowd-1080p.mp4"),
        bestShot: { mode: "realtime", minIntervalMs: 400, improvement: 0.03 },
      },
      head: {
        id: "head",
        source: video("talking-head-1.mp4"),
        minQuality: 0.05,
        bestShot: { mode: "realtime", minIntervalMs: 300, improvement: 0.02 },
      },
    });
    const sub = await subscribe(
      broker.url,
      { username: "server", password: SERVER_PW },
      [t.allFaces()],
      "server-outage",
    );
    const agent = await startAgent({
      configDir: dir,
      output: out,
      once: true,
      processMetrics: false,
      opsPort: null,
      env: quiet,
    });
    // Take the broker down as soon as events flow, while both videos are still playing.
    await waitFor(() => sub.faces().length >= 1, "the first event", 20_000);
    await broker.stop();
    const madeAtOutage = readJsonl(out).length;
    await sleep(2500);
    const spooledDuringOutage = agent.status().spool!.events;
    const madeDuringOutage = readJsonl(out).length - madeAtOutage;
    await broker.start();
    const res = await agent.finished;
    expect(res.exitCode).toBe(0);

    const made = readJsonl(out);
    await waitFor(() => sub.faces().length >= made.length, "every event at the subscriber", 20_000);
    await sleep(500); // a duplicate would arrive now
    await sub.close();

    // The outage really held events back.
    expect(madeDuringOutage).toBeGreaterThan(0);
    expect(spooledDuringOutage).toBeGreaterThan(0);
    const got = sub.faces();
    expect(sub.messages.filter((m) => m.error)).toEqual([]);
    // QoS 1 is at least once: an event in flight when the broker stopped (its PUBACK, or the
    // subscriber's, lost with the connection) may be delivered again; consumers drop repeats by
    // eventId, as the server does. Nothing else may repeat, and nothing may be missing.
    const firstArrivals = got.filter((e, i) => got.findIndex((x) => x.eventId === e.eventId) === i);
    expect(got.length - firstArrivals.length).toBeLessThanOrEqual(4); // broker.inflight
    expect(firstArrivals.map((e) => e.eventId).sort()).toEqual(made.map((e) => e.eventId).sort());
    for (const cam of ["station", "head"]) {
      expect(firstArrivals.filter((e) => e.cameraId === cam).map((e) => e.eventId)).toEqual(
        made.filter((e) => e.cameraId === cam).map((e) => e.eventId),
      );
    }
    expect(got.every((e) => e.agentId === "site-a")).toBe(true);
    // Acknowledged events leave the spool.
    expect(readdirSync(spool).filter((n) => n.endsWith(".evt"))).toEqual([]);
  });

  it("events spooled while the broker is unreachable survive an agent restart and are delivered once", async () => {
    const spool = tempDir("spool");
    const out = join(tempDir("out"), "events.jsonl");
    await broker.stop();
    const dir = makeConfigDir(agentYaml("site-b", spool), {
      head: {
        id: "head",
        source: video("talking-head-3.mp4"),
        fileRate: "fast",
        minQuality: 0.05,
        bestShot: { mode: "realtime", minIntervalMs: 200, improvement: 0.02 },
      },
    });
    const a1 = await startAgent({ configDir: dir, output: out, processMetrics: false, opsPort: null, env: quiet });
    await waitFor(() => a1.status().cameras.head?.state === "done", "the video to end", 30_000);
    await a1.stop();
    const made = readJsonl(out);
    expect(made.length).toBeGreaterThan(0);
    const spooled = readdirSync(spool).filter((n) => n.endsWith(".evt"));
    expect(spooled.length).toBe(made.length);

    await broker.start();
    const sub = await subscribe(
      broker.url,
      { username: "server", password: SERVER_PW },
      [t.allFaces()],
      "server-restart",
    );
    // Same spool, no cameras: the new run only has to deliver what the first one left.
    const dir2 = makeConfigDir(agentYaml("site-b", spool), {});
    const a2 = await startAgent({ configDir: dir2, once: true, processMetrics: false, opsPort: null, env: quiet });
    expect((await a2.finished).exitCode).toBe(0);
    await waitFor(() => sub.faces().length >= made.length, "the spooled events", 20_000);
    await sleep(300);
    await sub.close();
    expect(sub.faces().map((e) => e.eventId)).toEqual(made.map((e) => e.eventId));
    expect(readdirSync(spool).filter((n) => n.endsWith(".evt"))).toEqual([]);
  });

  it("CLI: retained online status and camera states, the last will on a crash, clean stop on SIGTERM", async () => {
    const spool = tempDir("spool");
    const dir = makeConfigDir(
      agentYaml("site-a", spool, { broker: { url: broker.url, username: "site-a", reconnectPeriodMs: 250 } }),
      {
        head: { id: "head", source: video("talking-head-3.mp4"), fileRate: "native" },
        broken: { id: "broken", source: "x.mp4", fps: "fast" },
      },
    );
    const run = () => runCli(["--config", dir], { ARGUS_BROKER_PASSWORD: AGENT_PW });
    const watcher: Subscriber = await subscribe(broker.url, { username: "server", password: SERVER_PW }, [
      t.agentStatus("site-a"),
      t.allCameraStatus(),
    ]);
    const status = (topic: string) =>
      watcher.messages
        .filter((m) => m.topic === topic)
        .map((m) => JSON.parse(m.raw))
        .at(-1);

    const first = run();
    await waitFor(() => status(t.agentStatus("site-a"))?.state === "online", "online status", 30_000);
    await waitFor(() => status(t.cameraStatus("site-a", "head"))?.state === "streaming", "camera streaming", 30_000);
    const online = status(t.agentStatus("site-a"));
    expect(online.cameras.broken).toMatchObject({
      state: "disabled",
      reason: expect.stringMatching(/broken\.yaml: field 'fps': got "fast"/),
    });
    expect(status(t.cameraStatus("site-a", "broken"))).toMatchObject({ state: "disabled" });
    // A crash: the broker publishes the agent's last will.
    first.proc.kill("SIGKILL");
    await waitFor(() => status(t.agentStatus("site-a"))?.state === "offline", "the last will", 10_000);

    // Retained: a new subscriber sees the latest status at once.
    const second = run();
    await waitFor(() => status(t.agentStatus("site-a"))?.state === "online", "online again", 30_000);
    await sleep(500);
    second.proc.kill("SIGTERM");
    const code = await exitOf(second.proc);
    expect(code).toBe(1); // a camera file is invalid: reported in the exit code too
    const late = await subscribe(broker.url, { username: "server", password: SERVER_PW }, [t.agentStatus("site-a")]);
    await waitFor(() => late.messages.length > 0, "retained status", 5000);
    expect(JSON.parse(late.messages[0].raw)).toMatchObject({ agentId: "site-a", state: "offline" });
    expect(late.messages[0].retain).toBe(true);
    await late.close();
    await watcher.close();
    for (const out of [first.output(), second.output()]) {
      expect(out).not.toContain(AGENT_PW);
      expect(out).toMatch(/"msg":"mqtt: connected"/);
    }
  });
});

describe.skipIf(!HAS_MOSQUITTO || !HAS_DATA)("agent with Mosquitto: refused credentials", () => {
  it("are reported in status, health and logs (never the password), and events wait in the spool", async () => {
    const spool = tempDir("spool");
    const wrong = "wrong-Pw9-secret";
    const dir = makeConfigDir(
      { ...agentYaml("site-c", spool), ops: { port: 0 } },
      { head: { id: "head", source: video("talking-head-3.mp4"), fileRate: "fast", minQuality: 0.05 } },
    );
    const cli = runCli(["--config", dir, "--ops-port", "0"], { ARGUS_BROKER_PASSWORD: wrong });
    const ops = await waitFor(() => /"ops":"(http:[^"]+)"/.exec(cli.output())?.[1], "the ops address", 30_000);
    const get = async (path: string) => {
      const r = await fetch(`${ops}${path}`);
      return { code: r.status, text: await r.text() };
    };
    await waitFor(
      async () => {
        const s = JSON.parse((await get("/status")).text);
        return s.cameras.head?.state === "done" && s.spool.events > 0;
      },
      "the video to end and its events to be spooled",
      30_000,
    );
    const st = JSON.parse((await get("/status")).text);
    expect(st.broker).toMatchObject({
      connected: false,
      error: expect.stringMatching(/not authori[sz]ed|bad user name or password/i),
    });
    expect(st.spool.events).toBeGreaterThan(0);
    const health = await get("/health");
    expect(health.code).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ ok: true, status: "degraded" });
    const metrics = (await get("/metrics")).text;
    expect(metrics).toMatch(/argus_agent_broker_connected\{agent="site-c"\} 0/);
    expect(metrics).toMatch(new RegExp(`argus_agent_events_spooled\\{agent="site-c"\\} ${st.spool.events}`));
    expect(metrics).toMatch(/argus_agent_frames_analyzed_total\{camera="head",agent="site-c"\} 25/);
    cli.proc.kill("SIGTERM");
    expect(await exitOf(cli.proc)).toBe(0);
    expect(cli.output()).toMatch(/refused the agent's credentials/);
    expect(cli.output()).not.toContain(wrong);
    // Undelivered events stay for the next run.
    expect(readdirSync(spool).filter((n) => n.endsWith(".evt")).length).toBe(st.spool.events);
  });
});
