/**
 * Webhooks under abuse, against real servers: targets inside the network (loopback, private,
 * link-local, the cloud metadata address), refused at creation and at delivery; URL credentials that
 * must never be logged or shown; delivery errors that must not map the network.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { Logger } from "@argus/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { emptyBatch } from "../src/store/types.ts";
import { apiClient, freePort, type RunningServer, tempDir, waitFor } from "./helpers.ts";

/** Records every log line, unredacted: what must never be logged is caught before pino's redaction. */
function recordingLogger(lines: string[]): Logger {
  const record = (...args: unknown[]) => void lines.push(JSON.stringify(args));
  const log = { info: record, warn: record, error: record, debug: record, trace: record, fatal: record } as Record<
    string,
    unknown
  >;
  log.child = () => log;
  return log as unknown as Logger;
}

/** A local webhook receiver recording the headers of what it gets. */
async function receiver(): Promise<{ server: Server; port: number; got: IncomingHttpHeaders[] }> {
  const got: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    got.push(req.headers);
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port, got };
}

/** An alert with a delivery to `webhookId`, committed as ingestion would, and the worker woken. */
async function alertTo(server: RunningServer, webhookId: string): Promise<void> {
  const now = Date.now();
  const alert = {
    id: randomUUID(),
    type: "foe" as const,
    personId: null,
    sightingId: randomUUID(),
    cameraId: "gate",
    agentId: "site",
    capturedAt: now,
    similarity: null,
    createdAt: now,
    ackedAt: null,
    ackedBy: null,
    ackNote: null,
    mutedBy: null,
  };
  const delivery = {
    id: randomUUID(),
    webhookId,
    alertId: alert.id,
    status: "pending" as const,
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
  await server.services.store.commitBatch({ ...emptyBatch(), alerts: [alert], deliveries: [delivery] });
  server.services.webhooks.kick();
}

/** The first delivery of a webhook once it has been attempted. */
const attempted = (api: ReturnType<typeof apiClient>, id: string) =>
  waitFor(async () => {
    const d = (await api("GET", `/api/v1/webhooks/${id}/deliveries`)).body.items[0];
    return d && d.attempts > 0 && d;
  }, "a delivery attempt");

describe("webhooks under abuse", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({
      config: { dataDir: tempDir(), http: { port: 0, host: "127.0.0.1" }, mqtt: { port: 0, host: "127.0.0.1" } },
      log: recordingLogger([]),
    });
    admin = apiClient(server, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("webhooks: internal targets are refused unless allowed, at creation and again at delivery", async () => {
    for (const url of [
      "http://127.0.0.1:1/x",
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.5:22/",
      "http://192.168.1.1/",
      "http://172.20.0.1/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://localhost:9/",
    ]) {
      const r = await admin("POST", "/api/v1/webhooks", { url });
      expect(r.status, url).toBe(400);
      expect(r.body.error.details.field, url).toBe("url");
      expect(r.body.error.message, url).toMatch(/internal address/);
    }
    // A public address is accepted (nothing is sent until an alert).
    const pub = await admin("POST", "/api/v1/webhooks", { url: "https://93.184.215.14/hook" });
    expect(pub.status).toBe(201);
    await admin("DELETE", `/api/v1/webhooks/${pub.body.id}`);

    // Webhooks that reached the store pointing inside (an older server, a name re-pointed since) are
    // refused at delivery: nothing is sent, and lastError names no address or port.
    const rx = await receiver();
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const id = randomUUID();
        const url = `http://${host}:${rx.port}/hook`;
        await server.services.store.webhooks.insert({
          id,
          url,
          secret: "0123456789abcdef0123",
          events: [],
          enabled: true,
          createdAt: Date.now(),
        });
        await server.services.webhooks.reload();
        await alertTo(server, id);
        const d = await attempted(admin, id);
        expect(d.lastError).toMatch(/^refused: the host is an internal address/);
        expect(d.lastError).not.toContain(String(rx.port));
        await admin("DELETE", `/api/v1/webhooks/${id}`);
      }
      expect(rx.got).toEqual([]);
    } finally {
      rx.server.close();
    }
  });

  it("webhooks: URL credentials go out as basic auth, are never logged or returned; errors stay generic", async () => {
    const lines: string[] = [];
    const allowed = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        alerts: { webhookAllowHosts: ["127.0.0.1"], webhookMaxAttempts: 1 },
      },
      log: recordingLogger(lines),
    });
    const rx = await receiver();
    try {
      const api = apiClient(allowed, allowed.adminToken);
      const password = "s3cret-Pa55w0rd";
      const made = await api("POST", "/api/v1/webhooks", { url: `http://alice:${password}@127.0.0.1:${rx.port}/hook` });
      expect(made.status).toBe(201);
      expect(made.body.url).toBe(`http://alice:***@127.0.0.1:${rx.port}/hook`);
      await alertTo(allowed, made.body.id);
      expect((await attempted(api, made.body.id)).status).toBe("delivered");
      expect(rx.got[0].authorization).toBe(`Basic ${Buffer.from(`alice:${password}`).toString("base64")}`);
      expect(JSON.stringify((await api("GET", "/api/v1/webhooks")).body)).not.toContain(password);

      // Nothing listens on this (allowed) port: the failure says so in generic words.
      const closed = await freePort();
      const dead = await api("POST", "/api/v1/webhooks", { url: `http://bob:${password}@127.0.0.1:${closed}/x` });
      await alertTo(allowed, dead.body.id);
      const d = await attempted(api, dead.body.id);
      expect(d.status).toBe("failed");
      expect(d.lastError).toBe("could not connect or the connection failed");
      await allowed.services.sse.flush();
      expect(lines.join("\n")).not.toContain(password);
      expect(lines.join("\n")).not.toMatch(/ECONNREFUSED [\d.]+:\d+/);
    } finally {
      rx.server.close();
      await allowed.stop();
    }
  });
});
