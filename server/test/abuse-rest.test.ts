/**
 * Hostile input on the REST surface, against a real server on embedded defaults: crop URLs that
 * climb out of the crops directory, paths in another case, /metrics fed with random paths, deep JSON,
 * lax query numbers, event streams without end, a sign-in lockout forced on someone else. Webhooks:
 * abuse-webhooks.test.ts; uploads and the data directory's file modes: abuse-uploads.test.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { Logger } from "@argus/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { apiClient, type Json, type RunningServer, tempDir, waitFor } from "./helpers.ts";

/** A request from a chosen local address (127.0.0.x: any loopback address reaches the server). */
function from(
  server: RunningServer,
  address: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Json }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const r = request(
      `${server.url}${path}`,
      {
        method,
        localAddress: address,
        headers: { ...(data !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let json: Json = text;
          try {
            json = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode!, headers: res.headers, body: json });
        });
      },
    );
    r.on("error", reject);
    r.end(data);
  });
}

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

describe("REST surface under abuse", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  let viewer: ReturnType<typeof apiClient>;
  let viewerToken: string;
  const logged: string[] = [];
  const dataDir = tempDir();

  beforeAll(async () => {
    server = await startServer({
      config: { dataDir, http: { port: 0, host: "127.0.0.1" }, mqtt: { port: 0, host: "127.0.0.1" } },
      log: recordingLogger(logged),
    });
    admin = apiClient(server, server.adminToken);
    viewerToken = (await admin("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body.token;
    viewer = apiClient(server, viewerToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("crop URLs: ids are checked against their exact format before any file access", async () => {
    // A JPEG-named file the server can read, outside its data directory.
    const outside = tempDir("argus-outside-");
    mkdirSync(join(outside, "x"), { recursive: true });
    writeFileSync(join(outside, "x", "secret.jpg"), "TOP SECRET");
    const climb = encodeURIComponent(`${"../".repeat(16)}${outside.slice(1)}/x/secret`);
    const attempts = [
      `/api/v1/sightings/${climb}/face`,
      `/api/v1/sightings/${climb}/context`,
      `/api/v1/sightings/${climb.replaceAll("%2F", "%5C")}/face`,
      `/api/v1/sightings/${encodeURIComponent(`${outside}/x/secret`)}/face`,
      "/api/v1/sightings/a%00b/face",
      "/api/v1/sightings/00000000-0000-0000-0000-000000000000%00/context",
      `/api/v1/faces/1${climb}/image`,
    ];
    logged.length = 0;
    for (const path of attempts) {
      const r = await viewer("GET", path);
      expect(r.status, path).toBe(400);
      expect(r.body.error.code, path).toBe("INVALID_ARGUMENT");
      expect(r.body.error.details.field, path).toBe("id");
      expect(JSON.stringify(r.body)).not.toContain("SECRET");
    }
    // Nothing was logged with a file path in it (the NUL byte used to give a 500 naming the path).
    expect(logged.join("\n")).not.toContain(dataDir);
    // Well-formed ids of nothing are a plain 404.
    expect((await viewer("GET", "/api/v1/sightings/00000000-0000-4000-8000-000000000000/face")).status).toBe(404);
    expect((await viewer("GET", "/api/v1/faces/123/image")).status).toBe(404);
    // The contract shows the exact formats.
    const doc = (await viewer("GET", "/openapi.json")).body;
    const param = doc.paths["/api/v1/sightings/{id}/face"].get.parameters[0];
    expect(param.schema.pattern).toMatch(/0-9a-f/);
    expect(doc.paths["/api/v1/faces/{id}/image"].get.parameters[0].schema.pattern).toBeTruthy();
  });

  it("routes and auth agree on case: other spellings never reach a handler", async () => {
    for (const path of [
      "/API/V1/tokens",
      "/api/v1/TOKENS",
      "/Api/v1/tokens",
      "/api/V1/tokens",
      "/%61pi/v1/tokens",
      "/API/v1/users",
      "/METRICS",
      "/OpenAPI.json",
    ]) {
      const r = await admin("GET", path);
      expect(r.status, path).toBe(404);
      expect(r.body.error?.code, path).toBe("NOT_FOUND");
      expect(JSON.stringify(r.body), path).not.toMatch(/initial admin|argus_|"items"/);
    }
    // The real spelling works, and needs its role.
    expect((await admin("GET", "/api/v1/tokens")).status).toBe(200);
    expect((await viewer("GET", "/api/v1/tokens")).status).toBe(403);
  });

  it("/metrics does not grow with request paths (2,000 random paths: a few hundred bytes)", async () => {
    // The server's own series (the process metrics' labels come from Node's closed sets: GC kinds, handle types).
    const size = async () =>
      (await fetch(`${server.url}/metrics`).then((r) => r.text()))
        .split("\n")
        .filter((l) => l.startsWith("argus_"))
        .join("\n").length;
    const random = () => Math.random().toString(36).slice(2).repeat(8);
    const paths = [
      () => `/${random()}`,
      () => `/api/v1/${random()}`,
      () => `/api/v1/sightings/${random()}/face`,
      () => `/api/v1/persons/${random()}`,
      () => `/docs/${random()}`,
    ];
    // Every (route, status) pair once, /metrics included, so the measure sees only growth from new paths.
    for (const p of paths) await viewer("GET", p());
    await size();
    const before = await size();
    for (let i = 0; i < 2000; i += 25)
      await Promise.all(Array.from({ length: 25 }, (_, j) => viewer("GET", paths[(i + j) % paths.length]())));
    const after = await size();
    expect(after - before).toBeLessThan(400);
    const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(text).toMatch(/argus_http_requests_total\{[^}]*route="other"/);
    expect(text).toMatch(/route="\/api\/v1\/sightings\/:id\/face"/);
  });

  it("deep JSON is a 400 (nesting checked before parsing), not a stack overflow", async () => {
    for (const depth of [200_000, 5_000, 65]) {
      const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const r = await admin("POST", "/api/v1/persons", Buffer.from(`{"name":"x","meta":{"a":${deep}}}`), {
        "content-type": "application/json",
      });
      expect(r.status, `depth ${depth}`).toBe(400);
      expect(r.body.error.code).toBe("JSON_TOO_DEEP");
    }
    // Brackets inside strings are text, not nesting; a modest depth is fine.
    const ok = await admin("POST", "/api/v1/persons", {
      name: "[[[[",
      meta: { note: "{".repeat(10_000), a: [[[{ b: [1] }]]] },
    });
    expect(ok.status).toBe(201);
  });

  it("query numbers: decimal integers in range, times in years 1970-9999", async () => {
    for (const q of [
      "limit=0x10",
      "limit=1e2",
      "limit=+5",
      "limit=-1",
      "limit=0",
      "limit=501",
      "limit=99999999999999999999",
      "limit=5.0",
      "limit=%205",
      "from=1e400",
      "from=-1",
      "from=99999999999999999",
      "from=0x10",
      "from=275760-09-13T00:00:00Z",
      "to=Infinity",
      "to=NaN",
      "from=2024-13-45",
    ]) {
      const r = await viewer("GET", `/api/v1/sightings?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe("INVALID_ARGUMENT");
      expect(r.body.error.details.field, q).toBe(q.split("=")[0]);
    }
    for (const q of ["identify?limit=0x2", "identify?minSimilarity=1e-1", "identify?sightings=-0"]) {
      const r = await viewer("POST", `/api/v1/${q}`, Buffer.from("x"), { "content-type": "image/png" });
      expect(r.status, q).toBe(400);
    }
    expect((await viewer("GET", "/api/v1/sightings?limit=10&from=2020-01-01T00:00:00Z&to=1700000000000")).status).toBe(
      200,
    );
  });

  it("sign-in: a guesser at one address cannot lock the real user out; it waits longer and longer", async () => {
    const admin0 = server.consoleAdmin!;
    const csrf = { "x-argus-csrf": "1" };
    const signIn = (address: string, name: string, password: string) =>
      from(server, address, "POST", "/api/v1/session", { name, password }, csrf);
    const statuses: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await signIn("127.0.0.2", admin0.name, `guess number ${i}`);
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.body.error.code).toBe("TOO_MANY_ATTEMPTS");
        waits.push(Number(r.headers["retry-after"]));
      }
    }
    // maxLoginFailures (10) wrong passwords are 401; then every try waits, longer each time, up to 15 minutes.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(40).fill(429));
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]);
    expect(waits[0]).toBeLessThanOrEqual(2);
    expect(waits.at(-1)).toBe(900);
    // Even the right password waits at the guesser's address, whatever X-Forwarded-For it claims ...
    expect((await signIn("127.0.0.2", admin0.name, admin0.password)).status).toBe(429);
    const body = { name: admin0.name, password: admin0.password };
    const spoofed = await from(server, "127.0.0.2", "POST", "/api/v1/session", body, {
      ...csrf,
      "x-forwarded-for": "198.51.100.77",
    });
    expect(spoofed.status).toBe(429);
    // ... while the real admin, elsewhere, signs in at once.
    const real = await signIn("127.0.0.3", admin0.name, admin0.password);
    expect(real.status).toBe(200);
    expect(real.body.user.role).toBe("admin");

    // One address guessing across many names meets the looser per-address bound (5 x maxLoginFailures).
    const spray: number[] = [];
    for (let i = 0; i < 50; i += 5) {
      const names = [0, 1, 2, 3, 4].map((j) => `nobody${i + j}`);
      spray.push(
        ...(await Promise.all(names.map((n) => signIn("127.0.0.4", n, "wrong password")))).map((r) => r.status),
      );
    }
    expect(spray).toEqual(Array(50).fill(401));
    expect((await signIn("127.0.0.4", "nobody50", "wrong password")).status).toBe(429);
    expect((await signIn("127.0.0.4", admin0.name, admin0.password)).status).toBe(429);
    expect((await signIn("127.0.0.5", admin0.name, admin0.password)).status).toBe(200);
    // No password reached the log.
    expect(logged.join("\n")).not.toContain(admin0.password);
    expect(logged.join("\n")).not.toContain("guess number");
  });

  it("sign-in behind a trusted proxy: throttled by the address the proxy appended, not one a client claims", async () => {
    const proxied = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1", trustProxy: true },
        mqtt: { port: 0, host: "127.0.0.1" },
        console: { maxLoginFailures: 2 },
        log: { level: "error" },
      },
    });
    try {
      const a = proxied.consoleAdmin!;
      const signIn = (forwardedFor: string, password: string) =>
        from(
          proxied,
          "127.0.0.1",
          "POST",
          "/api/v1/session",
          { name: a.name, password },
          {
            "x-argus-csrf": "1",
            "x-forwarded-for": forwardedFor,
          },
        );
      for (let i = 0; i < 2; i++) expect((await signIn("198.51.100.7", "wrong password")).status).toBe(401);
      expect((await signIn("198.51.100.7", a.password)).status).toBe(429);
      // A client prepending another address is still the one the proxy saw.
      expect((await signIn("203.0.113.1, 198.51.100.7", a.password)).status).toBe(429);
      expect((await signIn("198.51.100.8", a.password)).status).toBe(200);
    } finally {
      await proxied.stop();
    }
  });

  it("event streams: capped per principal (429) and in all (503)", async () => {
    const open = async (srv: RunningServer, token: string) => {
      const abort = new AbortController();
      const r = await fetch(`${srv.url}/api/v1/stream`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
      if (r.status !== 200) await r.text();
      // Keep the response: fetch cancels the body of a response that is garbage-collected.
      return { status: r.status, retryAfter: r.headers.get("retry-after"), abort, res: r };
    };
    // One viewer token asks for 1,000 streams: the first stream.maxPerPrincipal (8) open, the rest are refused.
    const got: Array<Awaited<ReturnType<typeof open>>> = [];
    for (let i = 0; i < 1000; i += 50)
      got.push(...(await Promise.all(Array.from({ length: 50 }, () => open(server, viewerToken)))));
    const opened = got.filter((g) => g.status === 200);
    expect(opened).toHaveLength(8);
    expect(got.filter((g) => g.status === 429)).toHaveLength(992);
    expect(Number(got.find((g) => g.status === 429)!.retryAfter)).toBeGreaterThan(0);
    const refused = await viewer("GET", "/api/v1/stream");
    expect(refused.body.error.code).toBe("TOO_MANY_STREAMS");
    // Others are not affected; closing one lets the viewer open another.
    const other = await open(server, server.adminToken!);
    expect(other.status).toBe(200);
    other.abort.abort();
    opened[0].abort.abort();
    const again = await waitFor(async () => {
      const g = await open(server, viewerToken);
      return g.status === 200 && g;
    }, "a freed stream slot");
    for (const g of [...opened, again]) g.abort.abort();
    await waitFor(async () => server.services.sse.size === 0, "streams closed");

    // In all: stream.maxTotal across principals, then 503 BUSY with Retry-After.
    const small = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        stream: { maxTotal: 5, maxPerPrincipal: 2 },
        log: { level: "error" },
      },
    });
    try {
      const api = apiClient(small, small.adminToken);
      const tokens = await Promise.all(
        [1, 2, 3].map(async (i) => (await api("POST", "/api/v1/tokens", { role: "viewer", name: `v${i}` })).body.token),
      );
      const all = [];
      for (const t of [...tokens, ...tokens]) all.push(await open(small, t));
      expect(all.map((g) => g.status)).toEqual([200, 200, 200, 200, 200, 503]);
      expect(Number(all[5].retryAfter)).toBeGreaterThan(0);
      for (const g of all) g.abort.abort();
    } finally {
      await small.stop();
    }
  });
});
