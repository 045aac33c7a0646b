/**
 * Console accounts and sessions: scrypt passwords, the httpOnly SameSite cookie, CSRF checks, roles
 * through the same checks as tokens, sign-out and expiry ending sessions server-side, sign-in rate
 * limiting, user management by admins, and the console's static files at /.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import type { Logger } from "@argus/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import type { SqliteStore } from "../src/store/sqlite/index.ts";
import { hashPassword, verifyPassword } from "../src/users/passwords.ts";
import { apiClient, type Json, type RunningServer, tempDir } from "./helpers.ts";

const PASSWORD = "correct horse battery";

/** A browser-like client: keeps the session cookie, sends the console's CSRF header and our Origin. */
function browser(server: RunningServer) {
  let cookie = "";
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { "x-argus-csrf": "1", origin: server.url },
  ) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...headers,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0].endsWith("=") ? "" : set.split(";")[0];
    const text = await res.text();
    let json: Json = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, body: json, headers: res.headers };
  };
  return {
    call,
    get cookie() {
      return cookie;
    },
    set cookie(v: string) {
      cookie = v;
    },
    signIn: (name: string, password = PASSWORD) => call("POST", "/api/v1/session", { name, password }),
  };
}

describe("console accounts and sessions", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  const logged: string[] = [];
  const webDir = tempDir("argus-web-");

  beforeAll(async () => {
    mkdirSync(join(webDir, "assets"));
    writeFileSync(join(webDir, "index.html"), "<!doctype html><title>console</title>");
    writeFileSync(join(webDir, "assets", "app-1234abcd.js"), "console.log(1)");
    // Records everything the server logs, unredacted: the secrets must not be handed to the logger at all.
    const record = (...args: unknown[]) => void logged.push(JSON.stringify(args));
    const log = { info: record, warn: record, error: record, debug: record, trace: record, fatal: record } as Record<
      string,
      unknown
    >;
    log.child = () => log;
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        console: { dir: webDir, maxLoginFailures: 3 },
      },
      log: log as unknown as Logger,
    });
    admin = apiClient(server, server.adminToken);
    // The first start made a console 'admin' (see console-users.test.ts); these tests bring their own.
    const first = await server.services.store.accounts.findUserByName("admin");
    await server.services.store.accounts.deleteUser(first!.id);
    for (const [name, role] of [
      ["alice", "admin"],
      ["oscar", "operator"],
      ["vera", "viewer"],
    ]) {
      const r = await admin("POST", "/api/v1/users", { name, role, password: PASSWORD });
      expect(r.status, name).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("hashes passwords with scrypt and a per-user salt", async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, a)).toBe(false);
    expect(await verifyPassword(PASSWORD, "garbage")).toBe(false);
    const stored = await server.services.store.accounts.findUserByName("vera");
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
    expect(stored!.passwordHash).not.toContain(PASSWORD);
  });

  it("signs in with an httpOnly SameSite=Strict cookie that maps to the user's role", async () => {
    const b = browser(server);
    const r = await b.signIn("Vera"); // names are case-insensitive
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ name: "vera", role: "viewer" });
    const set = r.headers.get("set-cookie")!;
    expect(set).toMatch(/^argus_session=[\w-]{40,};/);
    expect(set).toMatch(/httponly/i);
    expect(set).toMatch(/samesite=strict/i);
    expect(set).not.toMatch(/secure/i); // plain http here; 'auto' sets Secure over https
    expect((await b.call("GET", "/api/v1/me")).body).toMatchObject({ kind: "session", name: "vera", role: "viewer" });
    expect((await b.call("GET", "/api/v1/persons")).status).toBe(200);
    // the same role checks as a token: a viewer cannot change lists, merge or manage users
    const denied = await b.call("POST", "/api/v1/persons", { name: "X", list: "foe" });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    expect((await b.call("POST", "/api/v1/persons/x/merge", { from: "y" })).status).toBe(403);
    expect((await b.call("GET", "/api/v1/users")).status).toBe(403);
    // the secret never reaches the log
    expect(logged.join("")).not.toContain(PASSWORD);
    expect(logged.join("")).not.toContain(b.cookie.split("=")[1]);
  });

  it("refuses cookie-authenticated changes without the console's header or from another origin", async () => {
    const b = browser(server);
    await b.signIn("oscar");
    const noHeader = await b.call("POST", "/api/v1/persons", { name: "X" }, {});
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.code).toBe("CSRF_REJECTED");
    const foreign = await b.call(
      "POST",
      "/api/v1/persons",
      { name: "X" },
      { "x-argus-csrf": "1", origin: "https://evil.example" },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/evil\.example/);
    const crossSite = await b.call(
      "POST",
      "/api/v1/persons",
      { name: "X" },
      { "x-argus-csrf": "1", "sec-fetch-site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    // reads need no header; a change from the console works
    expect((await b.call("GET", "/api/v1/persons", undefined, {})).status).toBe(200);
    const ok = await b.call("POST", "/api/v1/persons", { name: "Made by oscar" });
    expect(ok.status).toBe(201);
    // sign-in itself is guarded too (login CSRF)
    const blind = await fetch(`${server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "oscar", password: PASSWORD }),
    });
    expect(blind.status).toBe(403);
    // bearer tokens keep working without any of this
    expect((await admin("POST", "/api/v1/persons", { name: "Made by a program" })).status).toBe(201);
  });

  it("refuses wrong passwords and unknown names alike, with clear errors for bad input", async () => {
    const b = browser(server);
    const wrong = await b.signIn("oscar", "not the password");
    const unknown = await b.signIn("nobody", "not the password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const missing = await b.call("POST", "/api/v1/session", { name: "oscar" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^password:/);
    const junk = await b.call("POST", "/api/v1/session", "{", { "x-argus-csrf": "1" });
    expect(junk.status).toBe(400);
  });

  it("signing out ends the session on the server: the old cookie no longer works", async () => {
    const b = browser(server);
    await b.signIn("oscar");
    const stolen = b.cookie;
    const out = await b.call("DELETE", "/api/v1/session");
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/argus_session=;/);
    b.cookie = stolen;
    const r = await b.call("GET", "/api/v1/me");
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("SESSION_ENDED");
  });

  it("the event stream of a session ends when the session does (sign-out, user disabled)", async () => {
    /** Opens the stream with the browser's cookie; resolves `ended` when the server closes it. */
    const open = async (b: ReturnType<typeof browser>) => {
      const res = await fetch(`${server.url}/api/v1/stream`, { headers: { cookie: b.cookie } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read(); // the "retry:" preamble: connected
      // (wrapped: an async function returning the promise itself would wait for it)
      return {
        ended: (async () => {
          for (;;) if ((await reader.read()).done) return true;
        })(),
      };
    };
    const b = browser(server);
    await b.signIn("vera");
    const { ended } = await open(b);
    expect((await b.call("DELETE", "/api/v1/session")).status).toBe(204);
    expect(await ended).toBe(true);

    const d = browser(server);
    const made = await admin("POST", "/api/v1/users", { name: "streamer", role: "viewer", password: PASSWORD });
    await d.signIn("streamer");
    const { ended: ended2 } = await open(d);
    await admin("PATCH", `/api/v1/users/${made.body.id}`, { disabled: true });
    expect(await ended2).toBe(true);
  });

  it("sessions expire (absolute and idle)", async () => {
    const db = (server.services.store as SqliteStore).db;
    const b = browser(server);
    await b.signIn("vera");
    db.prepare("UPDATE sessions SET expires_at = ?").run(Date.now() - 1);
    expect((await b.call("GET", "/api/v1/me")).status).toBe(401);
    await b.signIn("vera");
    const idle = server.config.console.sessionIdleMinutes * 60_000;
    db.prepare("UPDATE sessions SET last_seen_at = ?").run(Date.now() - idle - 1000);
    expect((await b.call("GET", "/api/v1/me")).status).toBe(401);
  });

  it("rate-limits failed sign-ins per user name, even when the password is then right", async () => {
    const b = browser(server);
    await admin("POST", "/api/v1/users", { name: "target", role: "viewer", password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await b.signIn("target", `guess ${i} wrong`)).status).toBe(401);
    const limited = await b.signIn("target");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // other accounts are unaffected
    expect((await browser(server).signIn("vera")).status).toBe(200);
  });

  it("admins manage users; a changed role or a disabled account ends that user's sessions", async () => {
    const a = browser(server);
    await a.signIn("alice");
    const list = await a.call("GET", "/api/v1/users");
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: Json) => u.name)).toEqual(expect.arrayContaining(["alice", "oscar", "vera"]));
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|passwordHash/);

    const made = await a.call("POST", "/api/v1/users", { name: "Dora", role: "viewer", password: PASSWORD });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: "dora", role: "viewer", disabled: false });
    expect((await a.call("POST", "/api/v1/users", { name: "dora", role: "viewer", password: PASSWORD })).status).toBe(
      409,
    );
    const weak = await a.call("POST", "/api/v1/users", { name: "eve", role: "viewer", password: "short" });
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toMatch(/^password: must be at least 10/);
    const badName = await a.call("POST", "/api/v1/users", { name: "e ve", role: "viewer", password: PASSWORD });
    expect(badName.body.error.details.field).toBe("name");
    expect((await a.call("POST", "/api/v1/users", { name: "eve", role: "root", password: PASSWORD })).status).toBe(400);

    const d = browser(server);
    await d.signIn("dora");
    expect((await d.call("POST", "/api/v1/persons", { name: "nope" })).status).toBe(403);
    expect((await a.call("PATCH", `/api/v1/users/${made.body.id}`, { role: "operator" })).body.role).toBe("operator");
    expect((await d.call("GET", "/api/v1/me")).status).toBe(401); // signed out by the change
    await d.signIn("dora");
    expect((await d.call("GET", "/api/v1/me")).body.role).toBe("operator");
    await a.call("PATCH", `/api/v1/users/${made.body.id}`, { disabled: true });
    expect((await d.call("GET", "/api/v1/me")).status).toBe(401);
    expect((await d.signIn("dora")).status).toBe(401);
    expect((await a.call("DELETE", `/api/v1/users/${made.body.id}`)).status).toBe(204);
    expect((await a.call("DELETE", `/api/v1/users/${made.body.id}`)).status).toBe(404);

    // the last enabled admin stays
    const me = (await a.call("GET", "/api/v1/me")).body;
    const last = await a.call("PATCH", `/api/v1/users/${me.id}`, { role: "viewer" });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe("LAST_ADMIN");
    expect((await a.call("DELETE", `/api/v1/users/${me.id}`)).status).toBe(409);

    // operators cannot manage users
    const o = browser(server);
    await o.signIn("oscar");
    expect((await o.call("POST", "/api/v1/users", { name: "x1", role: "admin", password: PASSWORD })).status).toBe(403);
  });

  it("a signed-in user changes their own password; their other sessions end, this one stays", async () => {
    const one = browser(server);
    const two = browser(server);
    await one.signIn("vera");
    await two.signIn("vera");
    const bad = await one.call("POST", "/api/v1/session/password", {
      current: "wrong password",
      password: "a new password 1",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe("current");
    const ok = await one.call("POST", "/api/v1/session/password", { current: PASSWORD, password: "a new password 1" });
    expect(ok.status).toBe(204);
    expect((await one.call("GET", "/api/v1/me")).status).toBe(200);
    expect((await two.call("GET", "/api/v1/me")).status).toBe(401);
    expect((await browser(server).signIn("vera", "a new password 1")).status).toBe(200);
    expect((await browser(server).signIn("vera")).status).toBe(401);
  });

  it("serves the console at / without shadowing the API", async () => {
    const anon = apiClient(server);
    const root = await fetch(`${server.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toMatch(/^text\/html/);
    expect(root.headers.get("cache-control")).toBe("no-cache");
    expect(root.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(await root.text()).toContain("<title>console</title>");
    // (fetch() would add 'cache-control: no-cache' to a conditional request: plain node:http instead)
    const again = await new Promise<number | undefined>((res) =>
      get(`${server.url}/`, { headers: { "if-modified-since": root.headers.get("last-modified")! } }, (r) => {
        r.resume();
        res(r.statusCode);
      }),
    );
    expect(again).toBe(304);
    const asset = await fetch(`${server.url}/assets/app-1234abcd.js`);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    // client-side routes get the page; missing assets and traversal do not
    const route = await fetch(`${server.url}/persons/abc-123`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain("<title>console</title>");
    expect((await fetch(`${server.url}/assets/missing-0000.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
    // the server's own paths are never the console
    expect((await anon("GET", "/api/v1/persons")).status).toBe(401);
    expect((await anon("GET", "/api/v1/no-such-route")).body.error).toBeDefined();
    expect((await anon("GET", "/health")).body.status).toBe("ok");
    expect((await anon("GET", "/openapi.json")).body.openapi).toBe("3.1.0");
    expect((await anon("GET", "/docs")).body).toMatch(/Argus API/);
    expect((await anon("GET", "/metrics")).body).toMatch(/argus_/);
  });

  it("documents the session and user endpoints in the OpenAPI document", async () => {
    const doc = (await apiClient(server)("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/v1/session", "/api/v1/users", "/api/v1/users/{id}"]),
    );
    expect(doc.components.securitySchemes.session).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "argus_session",
    });
  });
});

describe("console without a build", () => {
  it("serves a page that says how to build it, and the API still works", async () => {
    const server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        console: { dir: join(tempDir(), "no-dist") },
        log: { level: "error" },
      },
    });
    try {
      const r = await fetch(`${server.url}/`);
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/not built[\s\S]*pnpm install/);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
