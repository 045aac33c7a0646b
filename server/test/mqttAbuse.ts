/**
 * Tools of the MQTT abuse and fuzz tests: valid face events without the face models (a random unit
 * embedding, a synthetic JPEG), a raw MQTT socket that can announce packets it never finishes, metric
 * and disk readings.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import {
  EMBEDDING_DIM,
  embeddingToBase64,
  encodeJpeg,
  FACE_EVENT_SCHEMA,
  FACE_EVENT_VERSION,
  type FaceEvent,
  FaceEventSchema,
  featureModelId,
} from "@argus/shared";
import type { RunningServer } from "./helpers.ts";

let jpeg: Promise<Buffer> | undefined;
/** A 112x112 JPEG like an aligned face crop. */
export function faceJpeg(): Promise<Buffer> {
  jpeg ??= (async () => {
    const data = Buffer.alloc(112 * 112 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 241;
    return encodeJpeg({ width: 112, height: 112, data }, 88);
  })();
  return jpeg;
}

/** A random L2-normalized embedding: a new face to the server each time. */
export function randomEmbedding(): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = Math.random() - 0.5;
    n += v[i] * v[i];
  }
  for (let i = 0; i < v.length; i++) v[i] /= Math.sqrt(n);
  return v;
}

/** A schema-valid face event (checked), as an agent would publish it. */
export async function syntheticEvent(o: {
  agentId: string;
  cameraId: string;
  capturedAt?: string;
  over?: Partial<FaceEvent>;
}): Promise<FaceEvent> {
  const m = featureModelId();
  const e: FaceEvent = {
    schema: FACE_EVENT_SCHEMA,
    version: FACE_EVENT_VERSION,
    eventId: randomUUID(),
    agentId: o.agentId,
    cameraId: o.cameraId,
    trackId: randomUUID(),
    mode: "offline",
    seq: 0,
    capturedAt: o.capturedAt ?? new Date().toISOString(),
    streamTimeMs: 1000,
    frame: { width: 1280, height: 720 },
    box: [100, 100, 220, 250],
    quality: {
      score: 0.2, // below identify.minQualityNewPerson: stored without founding persons
      detScore: 0.95,
      sizePx: 150,
      interocularPx: 50,
      sharpness: 200,
      yaw: 5,
      pitch: -3,
      roll: 1,
      brightness: 120,
      contrast: 40,
    },
    embedding: { model: m.id, modelSha256: m.sha256, dim: EMBEDDING_DIM, vector: embeddingToBase64(randomEmbedding()) },
    faceJpeg: (await faceJpeg()).toString("base64"),
    ...o.over,
  };
  return FaceEventSchema.parse(e);
}

/** The JPEG grown to exactly `size` bytes with comment segments after SOI (still a valid JPEG). */
export function padJpeg(j: Buffer, size: number): Buffer {
  const parts = [j.subarray(0, 2)];
  let left = size - j.length;
  while (left > 0) {
    const body = Math.max(Math.min(left, 65_537) - 4, 0);
    const seg = Buffer.alloc(body + 4, 0x20);
    seg.writeUInt16BE(0xfffe, 0);
    seg.writeUInt16BE(body + 2, 2);
    parts.push(seg);
    left -= seg.length;
  }
  parts.push(j.subarray(2));
  return Buffer.concat(parts);
}

/** MQTT variable byte integer. */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string) => {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** An MQTT 3.1.1 CONNECT (clean session, keepalive 60 s). */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = Buffer.concat([str("MQTT"), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/** The start of a QoS 1 PUBLISH announcing `payloadBytes` of payload (send them after it, or not). */
export function publishHead(topic: string, payloadBytes: number, packetId = 1): Buffer {
  const t = str(topic);
  const id = Buffer.from([packetId >> 8, packetId & 0xff]);
  return Buffer.concat([Buffer.from([0x32]), varint(t.length + 2 + payloadBytes), t, id]);
}

/** A raw TCP connection to the broker; resolves once connected. */
export function rawSocket(port: number): Promise<Socket & { gone: Promise<void> }> {
  return new Promise((res, rej) => {
    const s = connect(port, "127.0.0.1") as Socket & { gone: Promise<void> };
    s.gone = new Promise((r) => s.once("close", () => r()));
    s.on("error", () => {}); // EPIPE/ECONNRESET once the broker closes: expected
    s.once("connect", () => res(s));
    s.once("error", rej);
  });
}

/** Sends CONNECT on a raw socket and returns the CONNACK return code. */
export async function rawLogin(s: Socket, clientId: string, username: string, password: string): Promise<number> {
  const ack = new Promise<number>((res, rej) => {
    s.once("data", (d: Buffer) => (d[0] === 0x20 ? res(d[3]) : rej(new Error(`not a CONNACK: ${d.toString("hex")}`))));
    s.once("close", () => rej(new Error("closed before CONNACK")));
  });
  s.write(connectPacket(clientId, username, password));
  return ack;
}

/**
 * Writes `chunk` again and again until the peer closes the connection or `maxBytes` were sent;
 * returns the bytes sent.
 */
export async function streamUntilClosed(s: Socket & { gone: Promise<void> }, chunk: Buffer, maxBytes: number) {
  let sent = 0;
  let closed = false;
  void s.gone.then(() => (closed = true));
  while (!closed && sent < maxBytes) {
    const more = s.write(chunk);
    sent += chunk.length;
    if (!more) await Promise.race([new Promise((r) => s.once("drain", r)), s.gone]);
  }
  return { sent, closed };
}

/** A counter's or gauge's value with these labels (0 when never set). */
export async function metric(server: RunningServer, name: string, labels: Record<string, string> = {}) {
  const m = server.services.metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

/** Bytes of all files under a directory. */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/** Samples process RSS every 10 ms while `f` runs; returns its result and the peak RSS growth. */
export async function peakRss<T>(f: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const result = await f();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - base };
  } finally {
    clearInterval(t);
  }
}
