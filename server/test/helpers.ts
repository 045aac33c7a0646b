/** Test helpers: real faces from ../shared/data, events built with the shared schema, a real Mosquitto. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeImage,
  EMBEDDING_DIM,
  embeddingToBase64,
  encodeJpeg,
  FACE_EVENT_SCHEMA,
  FACE_EVENT_VERSION,
  type FaceEvent,
  FaceEventSchema,
  FacePipeline,
  type FaceQuality,
  featureModelId,
  topics,
} from "@argus/shared";
import mqtt, { type MqttClient } from "mqtt";
import type { RunningServer } from "../src/server.ts";

export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/data");
export const HAVE_DATA = existsSync(join(DATA_DIR, "faces/bbt"));
export const NO_DATA_MESSAGE = `SKIPPED: test data not found at ${DATA_DIR} (the shared data folder beside the checkout; see ../shared/data/README.md)`;

export interface RealFace {
  file: string;
  embedding: Float32Array;
  jpeg: Buffer;
  quality: FaceQuality;
  box: [number, number, number, number];
  frame: { width: number; height: number };
}

let pipeline: Promise<FacePipeline> | undefined;
export function getPipeline(): Promise<FacePipeline> {
  pipeline ??= FacePipeline.create();
  return pipeline;
}

/**
 * The most confident face of each image, with its embedding and aligned JPEG crop. `photo.jpg@ref.png`
 * names a face of a group photo by who it is: the face most like the (single) face of `ref.png`.
 */
export async function realFaces(files: string[]): Promise<RealFace[]> {
  const p = await getPipeline();
  const out: RealFace[] = [];
  for (const spec of files) {
    const [file, like] = spec.split("@");
    const img = await decodeImage(readFileSync(file));
    const faces = await p.process(img);
    if (!faces.length) throw new Error(`no face in ${file}`);
    let f = faces[0];
    if (like) {
      const [ref] = await p.process(await decodeImage(readFileSync(like)));
      const sim = (x: typeof f) => x.embedding!.reduce((s, v, i) => s + v * ref.embedding![i], 0);
      f = faces.reduce((a, b) => (sim(b) > sim(a) ? b : a));
    }
    out.push({
      file,
      embedding: f.embedding!,
      jpeg: await encodeJpeg(f.aligned),
      quality: f.quality,
      box: f.box as [number, number, number, number],
      frame: { width: img.width, height: img.height },
    });
  }
  return out;
}

export const bbt = (name: string) => join(DATA_DIR, "faces/bbt", `${name}.png`);

/** A face event as an agent would publish it, validated against the shared schema. */
export function faceEvent(
  face: RealFace,
  o: {
    agentId: string;
    cameraId: string;
    trackId?: string;
    seq?: number;
    capturedAt?: Date;
    eventId?: string;
    /** Fields of newer agents (faceCheck, track, embedding.template/shots): merged in. */
    extra?: Partial<Pick<FaceEvent, "faceCheck" | "track">>;
  },
): FaceEvent {
  const m = featureModelId();
  const e: FaceEvent = {
    schema: FACE_EVENT_SCHEMA,
    version: FACE_EVENT_VERSION,
    eventId: o.eventId ?? randomUUID(),
    agentId: o.agentId,
    cameraId: o.cameraId,
    trackId: o.trackId ?? randomUUID(),
    mode: "offline",
    seq: o.seq ?? 0,
    capturedAt: (o.capturedAt ?? new Date()).toISOString(),
    streamTimeMs: 0,
    frame: face.frame,
    box: face.box,
    quality: face.quality,
    embedding: { model: m.id, modelSha256: m.sha256, dim: EMBEDDING_DIM, vector: embeddingToBase64(face.embedding) },
    faceJpeg: face.jpeg.toString("base64"),
    ...o.extra,
  };
  return FaceEventSchema.parse(e);
}

/** What a newer agent says of a long track that passed its face check: enough to found a person at once. */
export const STRONG_TRACK = {
  faceCheck: { passed: true, failed: [] },
  track: { frames: 25, durationMs: 5000 },
} as const satisfies Partial<FaceEvent>;

/**
 * Submits a face event straight to the server's ingestor (no broker) as a strong track by default
 * (it founds its person at once); returns the ingest outcome ("stored", "updated", ...).
 */
export function submitFace(
  server: RunningServer,
  face: RealFace,
  o: { agentId: string; cameraId: string; at?: number; trackId?: string; extra?: Partial<FaceEvent> },
) {
  const e = faceEvent(face, {
    agentId: o.agentId,
    cameraId: o.cameraId,
    trackId: o.trackId,
    capturedAt: new Date(o.at ?? Date.now()),
    extra: o.extra ?? STRONG_TRACK,
  });
  return server.services.ingestor.submit(topics().faces(e.agentId, e.cameraId), Buffer.from(JSON.stringify(e)));
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export async function waitFor<T>(
  f: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON responses, checked by the assertions
export type Json = any;

/** fetch against the server's API with a bearer token; returns status and parsed body. */
export function apiClient(server: { url: string }, token?: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    };
    if (body instanceof FormData || Buffer.isBuffer(body)) init.body = body as FormData;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  };
}

export function imageForm(fields: Record<string, string>): FormData {
  const fd = new FormData();
  for (const [k, file] of Object.entries(fields))
    fd.append(k, new Blob([readFileSync(file)], { type: "image/png" }), file.split("/").pop());
  return fd;
}

/**
 * A publishing agent: a real mqtt.js client, QoS 1, resending unacknowledged messages after reconnects.
 * Its client id is the agent's own (`argus-agent-<id>`, as the agent uses), or that + `:<suffix>`.
 */
export async function agentClient(
  url: string,
  username: string,
  password: string,
  suffix?: string,
): Promise<MqttClient> {
  const clientId = `argus-agent-${username}${suffix ? `:${suffix}` : ""}`;
  const c = mqtt.connect(url, {
    username,
    password,
    clientId,
    clean: false,
    reconnectPeriod: 200,
    connectTimeout: 5000,
  });
  await new Promise<void>((res, rej) => {
    c.once("connect", () => res());
    c.once("error", rej);
  });
  return c;
}

export function publishEvent(c: MqttClient, e: FaceEvent, prefix = "argus"): Promise<void> {
  return new Promise((res, rej) =>
    c.publish(topics(prefix).faces(e.agentId, e.cameraId), JSON.stringify(e), { qos: 1 }, (err) =>
      err ? rej(err) : res(),
    ),
  );
}

export function tempDir(prefix = "argus-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real Mosquitto on a free port, with a password file, an ACL and persistence (survives restarts). */
export class Mosquitto {
  proc?: ChildProcess;
  readonly dir = tempDir("argus-mosq-");
  port = 0;
  readonly users: Record<string, string> = {};

  static available(): boolean {
    return existsSync("/usr/sbin/mosquitto") && existsSync("/usr/bin/mosquitto_passwd");
  }

  /**
   * users: name -> password. The 'server' user reads everything; agents write only their own root.
   * `extra`: more mosquitto.conf lines (limits, use_username_as_clientid); `acl`: the ACL file's text
   * instead of this one.
   */
  async start(users: Record<string, string>, extra: string[] = [], acl?: string): Promise<void> {
    Object.assign(this.users, users);
    this.port = await freePort();
    const pw = join(this.dir, "passwd");
    writeFileSync(pw, "");
    for (const [u, p] of Object.entries(users)) execFileSync("/usr/bin/mosquitto_passwd", ["-b", pw, u, p]);
    acl ??= [
      "user server",
      "topic read argus/v1/agents/#",
      "topic write argus/v1/alerts",
      "topic write argus/v1/sightings",
      "topic write argus/v1/server/status",
      "topic write argus/v1/ha/#",
      "topic write homeassistant/#",
      "",
      "user monitor",
      "topic read argus/v1/alerts",
      "",
      "# every agent: only under its own id (%u = user name)",
      "pattern write argus/v1/agents/%u/#",
      "pattern read argus/v1/agents/%u/#",
      "",
    ].join("\n");
    writeFileSync(join(this.dir, "acl"), acl);
    mkdirSync(join(this.dir, "db"), { recursive: true });
    writeFileSync(
      join(this.dir, "mosquitto.conf"),
      [
        `listener ${this.port} 127.0.0.1`,
        "allow_anonymous false",
        `password_file ${pw}`,
        `acl_file ${join(this.dir, "acl")}`,
        "persistence true",
        `persistence_location ${join(this.dir, "db")}/`,
        "max_queued_messages 100000",
        "max_inflight_messages 100",
        "log_type error",
        // Started as root, mosquitto would switch to the 'mosquitto' user, which cannot read our temp dir.
        ...(process.getuid?.() === 0 ? ["user root"] : []),
        ...extra,
        "",
      ].join("\n"),
    );
    await this.launch();
  }

  private async launch(): Promise<void> {
    this.proc = spawn("/usr/sbin/mosquitto", ["-c", join(this.dir, "mosquitto.conf")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    this.proc.stderr!.on("data", (d) => (err += d));
    await waitFor(
      async () =>
        new Promise<boolean>((res) => {
          const c = mqtt.connect(this.url(), {
            username: "server",
            password: this.users.server,
            reconnectPeriod: 0,
            connectTimeout: 1000,
          });
          c.once("connect", () => c.end(true, () => res(true)));
          c.once("error", () => c.end(true, () => res(false)));
        }),
      `mosquitto on port ${this.port} ${err}`,
      10_000,
    );
  }

  url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** SIGTERM (mosquitto writes its persistence file), wait, start again on the same port. */
  async restart(downMs = 500): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((res) => {
      p.once("exit", () => res());
      p.kill("SIGTERM");
    });
  }
}

export type { RunningServer };

/** A client of the server's event stream (GET /api/v1/stream): events as they arrive, until close(). */
export async function openStream(
  server: { url: string },
  headers: Record<string, string>,
): Promise<{ events: Array<{ event: string; data: Json; id?: string }>; contentType: string | null; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${server.url}/api/v1/stream`, { headers, signal: abort.signal });
  const events: Array<{ event: string; data: Json; id?: string }> = [];
  (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const id = /^id: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data), ...(id ? { id } : {}) });
      }
    }
  })().catch(() => {});
  return { events, contentType: res.headers.get("content-type"), close: () => abort.abort() };
}
