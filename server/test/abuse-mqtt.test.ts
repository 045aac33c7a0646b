/**
 * The server attacked over MQTT as one registered agent would (security findings 3, 4, 6, 9): a real
 * server on embedded defaults (aedes, SQLite), real mqtt.js clients and raw sockets, and Mosquitto for
 * the external-broker paths. Every wait is on a condition.
 */
import { topics } from "@argus/shared";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameScanner } from "../src/ingest/packetGuard.ts";
import { runRetention } from "../src/retention/retention.ts";
import { startServer } from "../src/server.ts";
import { apiClient, type Json, Mosquitto, type RunningServer, tempDir, waitFor } from "./helpers.ts";
import {
  dirBytes,
  faceJpeg,
  metric,
  padJpeg,
  peakRss,
  publishHead,
  rawLogin,
  rawSocket,
  streamUntilClosed,
  syntheticEvent,
} from "./mqttAbuse.ts";

const DAY = 86_400_000;
const MB = 1024 * 1024;
const t = topics();

const embedded = (dataDir: string, more: Record<string, unknown> = {}) => ({
  config: {
    dataDir,
    http: { port: 0, host: "127.0.0.1" },
    mqtt: { port: 0, host: "127.0.0.1" },
    log: { level: "silent" },
    ...more,
  },
});

/** Connects an agent; rejects with the broker's refusal. */
function connectAgent(server: RunningServer, id: string, password: string, clientId: string): Promise<MqttClient> {
  return new Promise((res, rej) => {
    const c = mqtt.connect(server.mqttUrl, { username: id, password, clientId, reconnectPeriod: 0 });
    c.once("connect", () => res(c));
    c.once("error", (e) => {
      c.end(true);
      rej(e);
    });
  });
}

async function deadLettersOf(server: RunningServer, agentId: string) {
  const all = (await server.services.store.deadLetters.list(undefined, 100_000)).items;
  return all.filter((d) => d.topic.includes(`/agents/${agentId}/`));
}

describe("MQTT abuse, embedded broker on defaults", () => {
  let server: RunningServer;
  const pw: Record<string, string> = {};
  const agents = ["flood", "other", "big", "victim", "thief", "ag", "ag-b", "clock", "bounds", "huge"];

  beforeAll(async () => {
    server = await startServer(embedded(tempDir()));
    for (const id of agents) pw[id] = (await server.registerAgent(id)).mqtt.password!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const client = (id: string, suffix?: string) =>
    connectAgent(server, id, pw[id], `argus-agent-${id}${suffix ? `:${suffix}` : ""}`);

  // Finding 3: one agent filled the disk with 2 MB dead letters.
  it("keeps only a bounded prefix of a dead letter's payload, with its full size", async () => {
    const c = await client("big");
    await c.publishAsync(t.faces("big", "cam"), Buffer.alloc(MB, "x"), { qos: 1 });
    const [dl] = await deadLettersOf(server, "big");
    expect(dl.error).toMatch(/^INVALID_EVENT: not JSON/);
    expect(dl.size).toBe(MB);
    expect(dl.payload.length).toBe(server.config.deadLetters.payloadBytes);
    expect(server.config.deadLetters.payloadBytes).toBe(4096);
    await c.endAsync();
  });

  it("rate-limits dead letters per agent: the excess is acknowledged and counted, not stored; others are unaffected, valid events never limited", async () => {
    const { burst, perAgentPerMinute } = server.config.deadLetters;
    const dropped0 = await metric(server, "argus_dead_letters_dropped_total", { cause: "rate_limit" });
    const c = await client("flood");
    const t0 = Date.now();
    const n = 300;
    // Every one is acknowledged (PUBACK), stored or not: nothing is redelivered forever.
    await Promise.all(
      Array.from({ length: n }, (_, i) => c.publishAsync(t.faces("flood", "cam"), `{"bad": ${i}`, { qos: 1 })),
    );
    const seconds = (Date.now() - t0) / 1000;
    const stored = (await deadLettersOf(server, "flood")).length;
    expect(stored).toBeGreaterThanOrEqual(burst);
    expect(stored).toBeLessThanOrEqual(burst + Math.ceil((seconds * perAgentPerMinute) / 60) + 1);
    expect((await metric(server, "argus_dead_letters_dropped_total", { cause: "rate_limit" })) - dropped0).toBe(
      n - stored,
    );
    expect(await metric(server, "argus_dead_letters_total", { reason: "INVALID_EVENT" })).toBeGreaterThanOrEqual(n);

    // Another agent's dead letter is still kept, and the flooding agent's valid events still go through.
    const o = await client("other");
    await o.publishAsync(t.faces("other", "cam"), "{not json", { qos: 1 });
    expect(await deadLettersOf(server, "other")).toHaveLength(1);
    const e = await syntheticEvent({ agentId: "flood", cameraId: "cam" });
    await c.publishAsync(t.faces("flood", "cam"), JSON.stringify(e), { qos: 1 });
    expect(await server.services.store.sightings.knownEventIds([e.eventId])).toEqual(new Set([e.eventId]));
    await Promise.all([c.endAsync(), o.endAsync()]);
  });

  it("retention removes dead letters after deadLetters.retentionDays, and never keeps them longer than retention.days", async () => {
    const { store } = server.services;
    const now = Date.now();
    const dl = (id: string, ageDays: number) => ({
      id,
      receivedAt: now - ageDays * DAY,
      topic: t.faces("ret", "cam"),
      error: "INVALID_EVENT: test",
      payload: Buffer.from("{}"),
      size: 2,
    });
    await store.deadLetters.add(dl("dl-8d", 8));
    await store.deadLetters.add(dl("dl-2d", 2));
    await store.deadLetters.add(dl("dl-0d", 0));
    const ids = async () => (await deadLettersOf(server, "ret")).map((d) => d.id).sort();
    const base = {
      store,
      crops: server.services.crops,
      persons: server.services.personService,
      regulars: server.services.regulars,
      keepListed: true,
      dedupDays: 30,
      metrics: server.services.metrics,
      now,
    };
    const r = await runRetention({ ...base, days: 30, deadLetterDays: server.config.deadLetters.retentionDays });
    expect(r.deadLetters).toBe(1);
    expect(await ids()).toEqual(["dl-0d", "dl-2d"]);
    // Stricter privacy retention wins over the dead-letter setting.
    await runRetention({ ...base, days: 1, deadLetterDays: 7 });
    expect(await ids()).toEqual(["dl-0d"]);
    expect(await metric(server, "argus_dead_letters_dropped_total", { cause: "retention" })).toBe(2);
  });

  // Finding 4: a 200 MB publish was read whole and acknowledged.
  it("closes a connection as soon as a packet over mqtt.maxPacketBytes is announced, before reading its body", async () => {
    const refused0 = await metric(server, "argus_mqtt_refused_total", { reason: "packet_too_large" });
    const s = await rawSocket(Number(new URL(server.mqttUrl).port));
    expect(await rawLogin(s, "argus-agent-huge", "huge", pw.huge)).toBe(0);
    s.write(publishHead(t.faces("huge", "cam"), 200 * MB));
    const { result, growth } = await peakRss(() => streamUntilClosed(s, Buffer.alloc(MB, "y"), 64 * MB));
    expect(result.closed).toBe(true);
    expect(result.sent).toBeLessThan(32 * MB); // what the kernel's buffers took before the close
    expect(growth).toBeLessThan(48 * MB);
    expect(await metric(server, "argus_mqtt_refused_total", { reason: "packet_too_large" })).toBe(refused0 + 1);

    // Before login too: an oversize CONNECT is refused the same way.
    const s2 = await rawSocket(Number(new URL(server.mqttUrl).port));
    s2.write(Buffer.from([0x10, 0xff, 0xff, 0x7f])); // CONNECT announcing 2 MB
    await s2.gone;
    expect(await metric(server, "argus_mqtt_refused_total", { reason: "packet_too_large" })).toBe(refused0 + 2);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("still takes the largest valid face event (both crops at their limits) under the default limit", async () => {
    const j = await faceJpeg();
    const e = await syntheticEvent({
      agentId: "huge",
      cameraId: "cam",
      over: {
        faceJpeg: padJpeg(j, 256 * 1024).toString("base64"),
        contextJpeg: padJpeg(j, 1024 * 1024).toString("base64"),
      },
    });
    const c = await client("huge");
    const payload = JSON.stringify(e);
    expect(payload.length).toBeGreaterThan(1.6 * MB);
    await c.publishAsync(t.faces("huge", "cam"), payload, { qos: 1 });
    expect(await server.services.store.sightings.knownEventIds([e.eventId])).toEqual(new Set([e.eventId]));
    await c.endAsync();
  });

  // Finding 6: agent A connected with B's client id and knocked B offline.
  it("refuses a client id that is not the agent's own (CONNACK identifier rejected); its owner stays connected", async () => {
    const refused0 = await metric(server, "argus_mqtt_refused_total", { reason: "client_id" });
    const victim = await client("victim");
    let victimClosed = false;
    victim.on("close", () => (victimClosed = true));

    for (const stolen of ["argus-agent-victim", "argus-agent-victim:x", "victim", "mqttjs_1234"]) {
      await expect(connectAgent(server, "thief", pw.thief, stolen), stolen).rejects.toThrow(/Identifier rejected/);
    }
    // 'ag' may not use 'ag-b''s ids: the owner of a client id is unambiguous.
    await expect(connectAgent(server, "ag", pw.ag, "argus-agent-ag-b")).rejects.toThrow(/Identifier rejected/);
    expect(await metric(server, "argus_mqtt_refused_total", { reason: "client_id" })).toBe(refused0 + 5);

    // The victim never noticed: still connected, its events acknowledged.
    const e = await syntheticEvent({ agentId: "victim", cameraId: "cam" });
    await victim.publishAsync(t.faces("victim", "cam"), JSON.stringify(e), { qos: 1 });
    expect(victimClosed).toBe(false);
    expect(victim.connected).toBe(true);

    // An agent's own ids work: the agent's default, and a second connection with a suffix.
    const own = await Promise.all([client("thief"), client("thief", "tool"), client("ag-b")]);
    await Promise.all([...own, victim].map((c) => c.endAsync()));
  });

  // Finding 9: capturedAt in 9999 was stored and never purged; numbers and JPEGs were trusted.
  it("stores the receive time for capture times outside the clock skew window, and flags the sighting", async () => {
    const api = apiClient(server, server.adminToken);
    const c = await client("clock");
    const skewed0 = await metric(server, "argus_events_clock_skewed_total");
    const send = async (cameraId: string, capturedAt: string) => {
      const e = await syntheticEvent({ agentId: "clock", cameraId, capturedAt });
      const before = Date.now();
      await c.publishAsync(t.faces("clock", cameraId), JSON.stringify(e), { qos: 1 });
      const r = await api("GET", `/api/v1/sightings?cameraId=${cameraId}`);
      return { s: r.body.items[0] as Json, before, after: Date.now() };
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    for (const [cam, at] of [
      ["y9999", "9999-12-31T23:59:59.999Z"],
      ["y1970", "1970-01-01T00:00:00.000Z"],
      ["tomorrow", iso(Date.now() + DAY)],
      ["old100d", iso(Date.now() - 100 * DAY)],
    ]) {
      const { s, before, after } = await send(cam, at);
      expect(s.clockSkewed, cam).toBe(true);
      expect(Date.parse(s.capturedAt), cam).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(s.capturedAt), cam).toBeLessThanOrEqual(after);
    }
    // An agent's spool replaying after an outage, and a clock a little ahead: honest, kept as sent.
    for (const [cam, at] of [
      ["replay", iso(Date.now() - 3 * DAY)],
      ["ahead", iso(Date.now() + 5 * 60_000)],
    ]) {
      const { s } = await send(cam, at);
      expect(s).toMatchObject({ clockSkewed: false, capturedAt: at });
    }
    expect((await metric(server, "argus_events_clock_skewed_total")) - skewed0).toBe(4);
    await c.endAsync();
  });

  it("refuses events with out-of-range numbers and fake JPEGs as dead letters naming the field", async () => {
    const c = await client("bounds");
    const html = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from("<html>not a face</html>")]);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["box", { box: [10, 10, 1e308, 20] }, /box/],
      ["age", { attributes: { age: 1e308 } }, /attributes\.age/],
      ["jpeg", { faceJpeg: html.toString("base64") }, /faceJpeg/],
      ["frame", { frame: { width: 1e9, height: 720 } }, /frame\.width/],
    ];
    for (const [cam, over, field] of cases) {
      const e = { ...(await syntheticEvent({ agentId: "bounds", cameraId: cam })), ...over };
      await c.publishAsync(t.faces("bounds", cam), JSON.stringify(e), { qos: 1 });
      const dl = (await deadLettersOf(server, "bounds")).find((d) => d.topic.includes(`/cameras/${cam}/`));
      expect(dl?.error, cam).toMatch(/^INVALID_EVENT: /);
      expect(dl?.error, cam).toMatch(field);
    }
    await c.endAsync();
  });
});

describe("MQTT packet size guard", () => {
  const stream = Buffer.concat([
    connectPacketLike(100),
    publishHead("a/b", 200_000),
    Buffer.alloc(200_000, 1),
    Buffer.from([0xc0, 0x00]), // PINGREQ
    publishHead("a/b", 300),
    Buffer.alloc(300, 2),
  ]);

  it("reads packet headers across any chunking, and stops at the first packet over the limit", () => {
    for (const chunk of [1, 2, 3, 7, 1000, 65_536, stream.length]) {
      const ok = new FrameScanner(() => 300_000);
      let refused = 0;
      for (let i = 0; i < stream.length; i += chunk) refused ||= ok.feed(stream.subarray(i, i + chunk));
      expect(refused).toBe(0);
      expect(ok.packets).toBe(4);
      const tight = new FrameScanner(() => 100_000);
      let over = 0;
      for (let i = 0; i < stream.length && !over; i += chunk) over = tight.feed(stream.subarray(i, i + chunk));
      expect(over).toBe(publishHead("a/b", 200_000).length + 200_000);
    }
    // A first packet over its own (pre-login) limit; a malformed fifth length byte.
    expect(new FrameScanner((n) => (n === 0 ? 50 : 1e9)).feed(connectPacketLike(100))).toBeGreaterThan(50);
    expect(new FrameScanner(() => 1e9).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });
});

/** A CONNECT-typed packet with a body of n bytes (only its framing matters here). */
function connectPacketLike(n: number): Buffer {
  return Buffer.concat([Buffer.from([0x10, n]), Buffer.alloc(n)]);
}

describe("MQTT abuse: dead-letter store caps", () => {
  let server: RunningServer;
  let dataDir: string;
  let c: MqttClient;

  beforeAll(async () => {
    dataDir = tempDir();
    server = await startServer(
      embedded(dataDir, {
        deadLetters: { maxCount: 20, maxBytes: 64 * 1024, perAgentPerMinute: 100_000, burst: 100_000 },
      }),
    );
    const pw = (await server.registerAgent("capped")).mqtt.password!;
    c = await connectAgent(server, "capped", pw, "argus-agent-capped");
  });
  afterAll(async () => {
    await c?.endAsync();
    await server?.stop();
  });

  const flood = async (n: number, bytes: number, tag: string) => {
    for (let i = 0; i < n; i++) {
      const body = `${tag}-${i}-`.padEnd(bytes, "z");
      await c.publishAsync(t.faces("capped", "cam"), body, { qos: 1 });
    }
  };
  const kept = async () => (await server.services.store.deadLetters.list(undefined, 1000)).items;

  it("holds at most maxCount dead letters, the newest", async () => {
    await flood(50, 50, "small");
    const items = await kept();
    expect(items.length).toBeLessThanOrEqual(20);
    expect(items[0].payload.toString()).toMatch(/^small-49-/);
    expect(items.some((d) => d.payload.toString().startsWith("small-0-"))).toBe(false);
    expect(await metric(server, "argus_dead_letters_dropped_total", { cause: "cap" })).toBeGreaterThanOrEqual(30);
  });

  it("holds at most maxBytes of dead letters, the newest, and the data directory stays small", async () => {
    await flood(60, 20_000, "big");
    const stats = await server.services.store.deadLetters.stats();
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(stats.count).toBeLessThan(20);
    expect((await kept())[0].payload.toString()).toMatch(/^big-59-/);
    expect((await apiClient(server, server.adminToken)("GET", "/api/v1/dead-letters")).body.total).toBe(stats.count);
    // 1.2 MB was published; the database (and its WAL) keeps well under that.
    expect(dirBytes(dataDir)).toBeLessThan(8 * MB);
  });
});

describe.skipIf(!Mosquitto.available())("MQTT abuse, external broker (Mosquitto)", () => {
  const mosq = new Mosquitto();
  const pw = { server: "server-pw", monitor: "m", "ext-a": "a-pw", "ext-b": "b-pw" };
  const dataDir = tempDir();
  let server: RunningServer | undefined;
  const start = async () =>
    startServer({
      config: {
        dataDir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: {
          url: mosq.url(),
          username: "server",
          password: pw.server,
          clientId: "argus-server-abuse",
          maxPacketBytes: 64 * 1024,
        },
        log: { level: "silent" },
      },
    });

  beforeAll(async () => {
    // The README's settings for external brokers: client id = user name, packets bounded.
    await mosq.start(pw, ["use_username_as_clientid true", `max_packet_size ${4 * MB}`]);
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
    await mosq.stop();
  });

  const agent = (u: "ext-a" | "ext-b", clientId: string) =>
    new Promise<MqttClient>((res, rej) => {
      const c = mqtt.connect(mosq.url(), { username: u, password: pw[u], clientId, reconnectPeriod: 0 });
      c.once("connect", () => res(c));
      c.once("error", rej);
    });

  it("dead-letters a payload over mqtt.maxPacketBytes as PAYLOAD_TOO_LARGE without parsing it, and acknowledges it", async () => {
    const a = await agent("ext-a", "argus-agent-ext-a");
    await a.publishAsync(t.faces("ext-a", "cam"), Buffer.alloc(100 * 1024, "{"), { qos: 1 });
    const e = await syntheticEvent({ agentId: "ext-a", cameraId: "cam" });
    await a.publishAsync(t.faces("ext-a", "cam"), JSON.stringify(e), { qos: 1 });
    // The consumer is not stuck on it: the next event is stored.
    await waitFor(async () => (await server!.services.store.sightings.knownEventIds([e.eventId])).size === 1, "event");
    const dls = await deadLettersOf(server!, "ext-a");
    expect(dls).toHaveLength(1);
    expect(dls[0]).toMatchObject({ size: 100 * 1024 });
    expect(dls[0].error).toMatch(/^PAYLOAD_TOO_LARGE: 102400 bytes, more than mqtt\.maxPacketBytes \(65536\)/);
    expect(dls[0].payload.length).toBe(4096);
    expect(await metric(server!, "argus_dead_letters_total", { reason: "PAYLOAD_TOO_LARGE" })).toBe(1);
    // Acknowledged: a restarted server (same persistent session) does not get it again.
    await server!.stop();
    server = await start();
    const e2 = await syntheticEvent({ agentId: "ext-a", cameraId: "cam" });
    await a.publishAsync(t.faces("ext-a", "cam"), JSON.stringify(e2), { qos: 1 });
    await waitFor(async () => (await server!.services.store.sightings.knownEventIds([e2.eventId])).size === 1, "e2");
    expect(await deadLettersOf(server!, "ext-a")).toHaveLength(1);
    await a.endAsync();
  });

  it("with use_username_as_clientid, an agent using another's client id does not disconnect it", async () => {
    const b = await agent("ext-b", "argus-agent-ext-b");
    let bClosed = false;
    b.on("close", () => (bClosed = true));
    const a = await agent("ext-a", "argus-agent-ext-b");
    // Both are up: Mosquitto gave 'a' its user name as client id. b still gets its PUBACKs.
    await b.publishAsync(t.agentStatus("ext-b"), JSON.stringify({ agentId: "ext-b", state: "online", at: "x" }), {
      qos: 1,
    });
    expect(bClosed).toBe(false);
    expect(b.connected && a.connected).toBe(true);
    await Promise.all([a.endAsync(), b.endAsync()]);
  });

  it("Mosquitto's max_packet_size disconnects a publisher of a larger packet", async () => {
    const a = await agent("ext-a", "argus-agent-ext-a");
    const closed = new Promise<void>((r) => a.once("close", () => r()));
    a.publish(t.faces("ext-a", "cam"), Buffer.alloc(5 * MB, "x"), { qos: 1 });
    await closed;
    a.end(true);
    // The broker and the server's session are fine: the next event goes through.
    const again = await agent("ext-a", "argus-agent-ext-a");
    const e = await syntheticEvent({ agentId: "ext-a", cameraId: "cam" });
    await again.publishAsync(t.faces("ext-a", "cam"), JSON.stringify(e), { qos: 1 });
    await waitFor(async () => (await server!.services.store.sightings.knownEventIds([e.eventId])).size === 1, "event");
    await again.endAsync();
  });
});
