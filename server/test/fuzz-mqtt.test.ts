/**
 * Fuzz, MQTT half: thousands of generated payloads derived from the real face event schema (valid
 * events with one field mutated: wrong types, out-of-range numbers, huge strings, deep JSON,
 * truncated base64, bad JPEGs; truncated JSON, random bytes; malformed statuses; topics outside the
 * layout) published by four agents at once to a real server through its embedded broker. Every
 * message must be acknowledged (or, over the packet limit, refused by closing the connection), the
 * server must stay up, every valid event must be stored, and memory and the data directory must stay
 * within bounds (the dead-letter caps hold).
 */
import { topics } from "@argus/shared";
import fc from "fast-check";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { type RunningServer, tempDir } from "./helpers.ts";
import {
  dirBytes,
  faceJpeg,
  metric,
  publishHead,
  rawLogin,
  rawSocket,
  streamUntilClosed,
  syntheticEvent,
} from "./mqttAbuse.ts";

const MB = 1024 * 1024;
const AGENTS = ["fz-0", "fz-1", "fz-2", "fz-3"];
const t = topics();
/** Runs of the property; each publishes 1-10 messages at once (about 3,000 in all). */
const RUNS = 550;
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_601);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Msg = { agent: number; topic: "faces" | "status" | "camera-status" | "junk"; payload: Buffer; valid?: string };

/** Every leaf of a JSON value as a path. */
function leaves(v: Json, path: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== "object") return [path];
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
  return entries.flatMap(([k, x]) => leaves(x as Json, [...path, k]));
}

function setAt(v: Json, path: (string | number)[], value: Json): Json {
  if (!path.length) return value;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, Json>;
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), value);
  return copy as Json;
}

const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("fuzz: malformed MQTT payloads against a real server", () => {
  let server: RunningServer;
  let dataDir: string;
  const clients: MqttClient[] = [];
  const pw: Record<string, string> = {};
  let template: Json;
  let paths: (string | number)[][];
  let jpeg: Buffer;

  beforeAll(async () => {
    dataDir = tempDir("argus-fuzz-");
    server = await startServer({
      config: {
        dataDir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "silent" },
        // Small caps and a rate every agent exceeds (~650 refusals each in well under a minute), so
        // that both bounds are exercised however slow the machine.
        deadLetters: { maxCount: 400, maxBytes: 1 * MB, perAgentPerMinute: 300, burst: 100 },
      },
    });
    for (const id of AGENTS) pw[id] = (await server.registerAgent(id)).mqtt.password!;
    for (const id of AGENTS) {
      const c = mqtt.connect(server.mqttUrl, {
        username: id,
        password: pw[id],
        clientId: `argus-agent-${id}`,
        reconnectPeriod: 0,
      });
      await new Promise<void>((res, rej) => {
        c.once("connect", () => res());
        c.once("error", rej);
      });
      clients.push(c);
    }
    jpeg = await faceJpeg();
    template = JSON.parse(
      JSON.stringify(
        await syntheticEvent({
          agentId: "fz-0",
          cameraId: "cam",
          over: {
            landmarks5: [
              [1, 2],
              [3, 4],
              [5, 6],
              [7, 8],
              [9, 9],
            ],
            attributes: { age: 30, gender: "male" },
            contextJpeg: jpeg.toString("base64"),
          },
        }),
      ),
    );
    paths = leaves(template);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync()));
    await server?.stop();
  });

  /** A valid event of this agent (fresh ids and embedding): the base every mutation starts from. */
  const base = async (agent: number) =>
    JSON.parse(JSON.stringify(await syntheticEvent({ agentId: AGENTS[agent], cameraId: "cam" }))) as Json;

  const mutation = (): fc.Arbitrary<(e: Json) => string | Buffer> => {
    const path = fc.constantFrom(...paths);
    const weird = fc.oneof(
      fc.anything() as fc.Arbitrary<Json>,
      fc.constantFrom<Json>(1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, -1, 0, 1e15, "", "NaN", [], {}, null, true),
      fc.double({ noNaN: true }) as fc.Arbitrary<Json>,
    );
    return fc.oneof(
      // wrong type or out-of-range value at any field
      fc.tuple(path, weird).map(
        ([p, v]) =>
          (e: Json) =>
            JSON.stringify(setAt(e, p, v)),
      ),
      // huge string at any field (kept under the packet limit)
      fc.tuple(path, fc.integer({ min: 1_000, max: 400_000 })).map(
        ([p, n]) =>
          (e: Json) =>
            JSON.stringify(setAt(e, p, "A".repeat(n))),
      ),
      // deep JSON at a field, or as the whole payload
      fc.tuple(path, fc.integer({ min: 10, max: 300_000 })).map(
        ([p, d]) =>
          (e: Json) =>
            JSON.stringify(setAt(e, p, "__DEEP__")).replace('"__DEEP__"', deep(d)),
      ),
      // truncated or corrupted base64 (embedding, crops)
      fc
        .tuple(fc.constantFrom("faceJpeg", "contextJpeg"), fc.nat(), fc.constantFrom("", "!", "=", "===", "\u00e9"))
        .map(([k, cut, junk]) => (e: Json) => {
          const o = e as Record<string, string>;
          return JSON.stringify({ ...o, [k]: o[k] ? o[k].slice(0, cut % o[k].length) + junk : junk });
        }),
      fc.tuple(fc.nat(), fc.constantFrom("", "%%", "A")).map(([cut, junk]) => (e: Json) => {
        const o = e as { embedding: { vector: string } };
        const v = o.embedding.vector;
        return JSON.stringify(setAt(e, ["embedding", "vector"], v.slice(0, cut % v.length) + junk));
      }),
      // bad JPEGs: FF D8 + anything, a real one cut or with a bit flipped, random bytes
      fc
        .tuple(fc.uint8Array({ maxLength: 4000 }), fc.nat(), fc.integer({ min: 0, max: 3 }))
        .map(([bytes, pos, kind]) => (e: Json) => {
          const bad = [
            Buffer.concat([Buffer.from([0xff, 0xd8]), bytes]),
            jpeg.subarray(0, pos % jpeg.length),
            Buffer.from(jpeg).fill(bytes[0] ?? 0, pos % jpeg.length, (pos % jpeg.length) + 1),
            Buffer.from(bytes),
          ][kind];
          return JSON.stringify(setAt(e, [kind % 2 ? "contextJpeg" : "faceJpeg"], bad.toString("base64")));
        }),
      // truncated JSON, random bytes, a field removed
      fc.nat().map((cut) => (e: Json) => {
        const s = JSON.stringify(e);
        return s.slice(0, cut % s.length);
      }),
      fc.uint8Array({ maxLength: 20_000 }).map((b) => () => Buffer.from(b)),
      path.map((p) => (e: Json) => JSON.stringify(setAt(e, p, "__GONE__")).replace(/"[^"]*":"__GONE__",?/, "")),
    );
  };

  /** Status payloads: any JSON, a status with odd fields, deep JSON, random bytes. */
  const status: fc.Arbitrary<string | Uint8Array> = fc.oneof(
    fc.json(),
    fc
      .record({ state: fc.oneof(fc.string(), fc.anything()), at: fc.anything(), cameras: fc.anything() })
      .map((o) => JSON.stringify(o)),
    fc.integer({ min: 10, max: 120_000 }).map((d) => `{"state":"online","x":${deep(d)}}`),
    fc.uint8Array({ maxLength: 20_000 }),
  );

  type Gen = { agent: number; kind: number; m: (e: Json) => string | Buffer; status: string | Uint8Array };
  const message = (): fc.Arbitrary<Gen> =>
    fc.record({
      agent: fc.integer({ min: 0, max: AGENTS.length - 1 }),
      // 0-79: a mutated face event, 80-89: an intact one, 90-95: a status, 96-99: a topic outside the layout
      kind: fc.integer({ min: 0, max: 99 }),
      m: mutation(),
      status,
    });

  async function build(x: Gen): Promise<Msg> {
    const e = await base(x.agent);
    const msg = (topic: Msg["topic"], payload: string | Uint8Array | Buffer) =>
      ({ agent: x.agent, topic, payload: Buffer.from(payload) }) as Msg;
    if (x.kind < 80) return msg("faces", x.m(e));
    if (x.kind < 90) return { ...msg("faces", JSON.stringify(e)), valid: (e as { eventId: string }).eventId };
    if (x.kind < 96) return msg(x.kind < 93 ? "status" : "camera-status", x.status);
    return msg("junk", x.m(e));
  }

  function topicOf(m: Msg): string {
    const id = AGENTS[m.agent];
    if (m.topic === "faces") return t.faces(id, "cam");
    if (m.topic === "status") return t.agentStatus(id);
    if (m.topic === "camera-status") return t.cameraStatus(id, "cam");
    return `${t.agentRoot(id)}cameras/cam/faces/extra`;
  }

  /** Publishes at QoS 1 and waits for the PUBACK (10 s at most: a hang fails the property). */
  function publish(m: Msg): Promise<void> {
    const c = clients[m.agent];
    return Promise.race([
      c.publishAsync(topicOf(m), m.payload, { qos: 1 }).then(() => undefined),
      new Promise<void>((_, rej) =>
        setTimeout(() => rej(new Error(`no PUBACK within 10 s (${m.payload.length} bytes)`)), 10_000).unref(),
      ),
    ]);
  }

  it("acknowledges every generated message, stores every valid event, stays up, and stays within memory and disk bounds", async () => {
    const valid: string[] = [];
    let sent = 0;
    let faces = 0;
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 20);
    const t0 = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(message(), { minLength: 1, maxLength: 10 }), async (batch) => {
          const msgs = await Promise.all(batch.map(build));
          await Promise.all(msgs.map(publish));
          sent += msgs.length;
          for (const m of msgs) {
            if (m.topic === "faces" || m.topic === "junk") faces++;
            if (m.valid) valid.push(m.valid);
          }
          if (sent % 50 < msgs.length) expect((await fetch(`${server.url}/health`)).status).toBe(200);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - t0) / 1000;

    expect(sent).toBeGreaterThan(2500);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(clients.every((c) => c.connected)).toBe(true);
    // Valid events are never dropped by the limits.
    const known = await server.services.store.sightings.knownEventIds(valid);
    expect(valid.filter((id) => !known.has(id))).toEqual([]);
    // Every face-topic message was received; the invalid ones all counted as dead letters by reason.
    expect(await metric(server, "argus_events_received_total")).toBe(faces);
    // The dead-letter bounds held, and were needed.
    const dl = await server.services.store.deadLetters.stats();
    expect(dl.count).toBeLessThanOrEqual(400);
    expect(dl.bytes).toBeLessThanOrEqual(MB);
    expect(await metric(server, "argus_dead_letters_dropped_total", { cause: "rate_limit" })).toBeGreaterThan(0);
    expect(await metric(server, "argus_dead_letters_dropped_total", { cause: "cap" })).toBeGreaterThan(0);
    // Memory and disk: what a few thousand messages (about 150 MB of payloads) may cost at most.
    const disk = dirBytes(dataDir);
    console.log(
      `fuzz: ${sent} messages (${valid.length} valid) in ${seconds.toFixed(1)} s; dead letters ${dl.count} (${(dl.bytes / 1024).toFixed(0)} kB); data dir ${(disk / MB).toFixed(1)} MB; RSS +${((peakRss - rss0) / MB).toFixed(0)} MB (peak ${(peakRss / MB).toFixed(0)} MB), peak heap ${(peakHeap / MB).toFixed(0)} MB`,
    );
    expect(disk).toBeLessThan(32 * MB);
    expect(peakRss - rss0).toBeLessThan(384 * MB);
    expect(peakHeap).toBeLessThan(768 * MB);
  });

  it("refuses packets over mqtt.maxPacketBytes by closing the connection, whatever size they announce", async () => {
    const port = Number(new URL(server.mqttUrl).port);
    const refused0 = await metric(server, "argus_mqtt_refused_total", { reason: "packet_too_large" });
    const sizes = fc.sample(fc.integer({ min: server.config.mqtt.maxPacketBytes, max: 268_435_000 }), {
      numRuns: 8,
      seed: SEED,
    });
    for (const size of sizes) {
      const s = await rawSocket(port);
      expect(await rawLogin(s, "argus-agent-fz-0:raw", "fz-0", pw["fz-0"])).toBe(0);
      s.write(publishHead(t.faces("fz-0", "cam"), size));
      const r = await streamUntilClosed(s, Buffer.alloc(256 * 1024, "{"), 64 * MB);
      expect(r.closed).toBe(true);
    }
    expect(await metric(server, "argus_mqtt_refused_total", { reason: "packet_too_large" })).toBe(
      refused0 + sizes.length,
    );
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
