/**
 * Versioned data: a data directory written by the release before schema versioning
 * (fixtures/data-v0, SQLite user_version 0) starts on today's server, which migrates it, logs each
 * step and reads every record back; a newer schema is refused; migrating twice changes nothing.
 */
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ArgusError, type Logger } from "@argus/shared";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server.ts";
import { SqliteStore } from "../src/store/sqlite/index.ts";
import { MIGRATIONS, type Migration, migrate, schemaVersion } from "../src/store/sqlite/migrations.ts";
import type { SchemaStep } from "../src/store/types.ts";
import { apiClient, bbt, HAVE_DATA, imageForm, type Json, tempDir } from "./helpers.ts";

const FIXTURE = join(import.meta.dirname, "fixtures/data-v0");
const LATEST = MIGRATIONS.length;

/** The schema as SQLite keeps it (tables and indexes with their SQL). */
function schemaOf(file: string): Array<{ type: string; name: string; sql: string | null }> {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { type: string; name: string; sql: string | null }>(
        "SELECT type, name, sql FROM sqlite_master ORDER BY type, name",
      )
      .all();
  } finally {
    db.close();
  }
}

function versionOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

/** A logger that records what the server logs (message and fields). */
function recordingLogger() {
  const lines: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const record = (a: unknown, b?: unknown) => {
    if (typeof a === "string") lines.push({ msg: a, fields: {} });
    else lines.push({ msg: String(b ?? ""), fields: (a ?? {}) as Record<string, unknown> });
  };
  const log = { info: record, warn: record, error: record, debug: record, trace: record, fatal: record } as Record<
    string,
    unknown
  >;
  log.child = () => log;
  return { log: log as unknown as Logger, lines };
}

describe("a data directory from before schema versioning (fixtures/data-v0)", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let dir: string;
  let schemaBefore: ReturnType<typeof schemaOf>;
  const { log, lines } = recordingLogger();

  beforeAll(async () => {
    dir = tempDir("argus-v0-");
    cpSync(FIXTURE, dir, { recursive: true });
    expect(versionOf(join(dir, "argus.db"))).toBe(0);
    schemaBefore = schemaOf(join(dir, "argus.db"));
    server = await startServer({
      config: {
        dataDir: dir,
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        // The fixture's sightings are from 2026-11-20: keep them whatever today is.
        retention: { days: 0 },
      },
      log,
    });
    api = apiClient(server, readFileSync(join(dir, "admin-token"), "utf8").trim());
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("migrates to the latest schema version and logs every step", () => {
    const file = join(dir, "argus.db");
    expect(versionOf(file)).toBe(LATEST);
    const steps = lines
      .filter((l) => l.msg === "database schema migrated")
      .map((l) => l.fields as unknown as SchemaStep);
    expect(steps.map((s) => [s.from, s.to, s.step, s.name])).toEqual(
      MIGRATIONS.map((m) => [0, LATEST, m.version, m.name]),
    );
    for (const s of steps) expect(s.ms).toBeGreaterThanOrEqual(0);
    // Migration 1 is that release's schema: the old database adopts it untouched.
    if (LATEST === 1) expect(schemaOf(file)).toEqual(schemaBefore);
  });

  it("reads the persons back with their names, lists and sighting counts", async () => {
    const r = await api("GET", "/api/v1/persons?limit=50");
    expect(r.status).toBe(200);
    const persons = r.body.items.map((p: Json) => [p.name, p.kind, p.list, p.sightingCount]);
    expect(persons.sort()).toEqual(
      [
        ["Sheldon Cooper", "enrolled", "foe", 2],
        ["Unknown #1", "auto", null, 3],
        ["Unknown #2", "auto", null, 1],
        ["Unknown #3", "auto", null, 1],
      ].sort(),
    );
    const sheldon = r.body.items.find((p: Json) => p.name === "Sheldon Cooper");
    expect(sheldon.meta).toEqual({ note: "fixture" });
    const faces = await api("GET", `/api/v1/persons/${sheldon.id}/faces`);
    expect(faces.body.items.map((f: Json) => f.source).sort()).toEqual(["enrol", "sighting", "sighting"]);
    const seen = await api("GET", `/api/v1/persons/${sheldon.id}/sightings`);
    expect(seen.body.items.map((s: Json) => s.cameraId).sort()).toEqual(["door", "lobby"]);
  });

  it("reads the sightings back with their cameras and persons", async () => {
    const r = await api("GET", "/api/v1/sightings?limit=50");
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(7);
    const rows = r.body.items.map((s: Json) => [s.cameraId, s.agentId, s.person?.name, s.verdict]);
    expect(rows.filter((x: Json[]) => x[0] === "door")).toHaveLength(4);
    expect(rows.filter((x: Json[]) => x[0] === "lobby")).toHaveLength(3);
    expect(rows.every((x: Json[]) => x[1] === "site-a")).toBe(true);
    expect(rows.filter((x: Json[]) => x[2] === "Sheldon Cooper").map((x: Json[]) => x[3])).toEqual(["foe", "foe"]);
    // the track seen twice
    expect(r.body.items.map((s: Json) => s.shots).sort()).toEqual([1, 1, 1, 1, 1, 1, 2]);
    // newest first, and the cursor pages reach the same sightings
    const first = await api("GET", "/api/v1/sightings?limit=4");
    const second = await api("GET", `/api/v1/sightings?limit=4&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((s: Json) => s.id)).toEqual(
      r.body.items.map((s: Json) => s.id),
    );
  });

  it("reads the alerts, cameras, agent, webhook, tokens, users and dead letters back", async () => {
    const alerts = await api("GET", "/api/v1/alerts?limit=50");
    expect(alerts.body.items.map((a: Json) => a.type).sort()).toEqual([
      "foe",
      "foe",
      "unknown_at_sensitive_camera",
      "unknown_at_sensitive_camera",
      "unknown_at_sensitive_camera",
    ]);
    expect(alerts.body.items.filter((a: Json) => a.type === "foe").map((a: Json) => a.person.name)).toEqual([
      "Sheldon Cooper",
      "Sheldon Cooper",
    ]);

    const cameras = await api("GET", "/api/v1/cameras");
    const byId = Object.fromEntries(cameras.body.cameras.map((c: Json) => [c.id, c]));
    expect(byId.door).toMatchObject({ name: "Front door", sensitive: true, agentId: "site-a", eventCount: 5 });
    expect(byId.door.status).toMatchObject({ state: "streaming" });
    expect(byId.lobby).toMatchObject({ name: null, sensitive: false, agentId: "site-a", eventCount: 3 });

    const agents = await api("GET", "/api/v1/agents");
    expect(agents.body.items.map((a: Json) => [a.id, a.status?.state])).toEqual([["site-a", "online"]]);

    const hooks = await api("GET", "/api/v1/webhooks");
    expect(hooks.body.items.map((w: Json) => [w.url, w.events, w.enabled])).toEqual([
      ["http://127.0.0.1:9/hook", ["foe"], true],
    ]);

    const tokens = await api("GET", "/api/v1/tokens");
    expect(tokens.body.items.map((t: Json) => [t.name, t.role, t.revokedAt])).toEqual([
      ["initial admin", "admin", null],
      ["wall screen", "viewer", null],
    ]);

    const users = await api("GET", "/api/v1/users");
    expect(users.body.items.map((u: Json) => [u.name, u.role, u.disabled])).toEqual([
      ["admin", "admin", false],
      ["alice", "operator", false],
    ]);

    const dead = await api("GET", "/api/v1/dead-letters");
    expect(dead.body.total).toBe(1);
    expect(dead.body.items[0]).toMatchObject({
      topic: "argus/v1/agents/site-a/cameras/door/faces",
      size: 8,
      payloadPreview: "not json",
    });
  });

  it("rebuilds the face index from the migrated database", async () => {
    const stats = await api("GET", "/api/v1/admin/stats");
    expect(stats.body).toMatchObject({ persons: 4, faces: 7, sightings: 7, deadLetters: 1 });
  });

  it.skipIf(!HAVE_DATA)("identifies Sheldon from a photo against the migrated gallery", async () => {
    const r = await api("POST", "/api/v1/identify", imageForm({ image: bbt("sheldon1") }));
    expect(r.status).toBe(200);
    expect(r.body.faces).toHaveLength(1);
    expect(r.body.faces[0].candidates[0]).toMatchObject({
      person: { name: "Sheldon Cooper", list: "foe" },
      match: true,
    });
  });
});

describe("migration 4: cameras keyed by (agent, camera)", () => {
  it("a camera re-owned by another agent is split back: each agent keeps its own, with the operator's settings", async () => {
    const dir = tempDir("argus-v0-cam-");
    cpSync(FIXTURE, dir, { recursive: true });
    // The finding: agent 'intruder' published a status for 'door' and took the row over.
    const db = new Database(join(dir, "argus.db"));
    db.prepare("UPDATE cameras SET agent_id = 'intruder', status = '{\"state\":\"failed\"}' WHERE id = 'door'").run();
    db.close();
    const store = new SqliteStore(join(dir, "argus.db"));
    await store.init();
    const cams = (await store.cameras.list()).map((c) => [
      c.agentId,
      c.id,
      c.name,
      c.sensitive,
      c.status?.state ?? null,
    ]);
    expect(cams).toEqual([
      ["intruder", "door", "Front door", true, "failed"],
      ["site-a", "door", "Front door", true, null],
      ["site-a", "lobby", null, false, null],
    ]);
    // The per-camera matching scope of automatic persons and of learned faces is a camera key now.
    const autos = (await store.persons.list({ kind: "auto" }, undefined, 10)).items;
    expect(autos.map((p) => p.cameraId).every((c) => c === "site-a/door" || c === "site-a/lobby")).toBe(true);
    const learned = (await store.persons.allFaces()).filter((f) => f.source === "sighting");
    expect(learned.length).toBeGreaterThan(0);
    expect(learned.every((f) => f.cameraId === null || /^site-a\/(door|lobby)$/.test(f.cameraId))).toBe(true);
    await store.close();
  });
});

describe("SQLite schema versions", () => {
  it("a new database gets every migration, and a second init is a no-op", async () => {
    const file = join(tempDir(), "argus.db");
    const store = new SqliteStore(file);
    const seen: SchemaStep[] = [];
    const steps = await store.init((s) => seen.push(s));
    expect(steps.map((s) => [s.from, s.to, s.step, s.name])).toEqual(
      MIGRATIONS.map((m) => [0, LATEST, m.version, m.name]),
    );
    expect(seen).toEqual(steps);
    const schema = schemaOf(file);
    expect(await store.init()).toEqual([]);
    expect(schemaOf(file)).toEqual(schema);
    expect(schemaVersion(store.db)).toBe(LATEST);
    await store.close();
    // and again after a restart
    const again = new SqliteStore(file);
    expect(await again.init()).toEqual([]);
    await again.close();
  });

  it("refuses a database written by a newer server, with a clear message and a stable code", async () => {
    const file = join(tempDir(), "argus.db");
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST + 1}`);
    db.close();
    const store = new SqliteStore(file);
    const err = await store.init().catch((e: unknown) => e);
    await store.close();
    expect(err).toBeInstanceOf(ArgusError);
    expect((err as ArgusError).code).toBe("SCHEMA_TOO_NEW");
    expect((err as ArgusError).message).toBe(
      `the database ${file} has schema version ${LATEST + 1}; this server knows up to ${LATEST}: upgrade the server`,
    );
    expect(versionOf(file)).toBe(LATEST + 1);
  });

  it("the server does not start on a newer database", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, "argus.db"));
    db.pragma(`user_version = ${LATEST + 5}`);
    db.close();
    await expect(
      startServer({
        config: { dataDir: dir, http: { port: 0, host: "127.0.0.1" }, mqtt: { port: 0, host: "127.0.0.1" } },
        log: recordingLogger().log,
      }),
    ).rejects.toMatchObject({ code: "SCHEMA_TOO_NEW" });
  });

  it("applies pending steps in order, each in its own transaction: a failed step leaves the version before it", () => {
    const db = new Database(join(tempDir(), "x.db"));
    let fail = true;
    const list: Migration[] = [
      { version: 1, name: "a", up: "CREATE TABLE a (x INTEGER)" },
      { version: 2, name: "b", up: "ALTER TABLE a ADD COLUMN y TEXT" },
      {
        version: 3,
        name: "c",
        up: (d) => {
          d.exec("INSERT INTO a (x, y) VALUES (1, 'one')");
          if (fail) throw new Error("step 3 broke");
        },
      },
    ];
    expect(() => migrate(db, "x.db", undefined, list)).toThrow("step 3 broke");
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM a").get()).toEqual({ n: 0 });
    fail = false;
    const steps = migrate(db, "x.db", undefined, list);
    expect(steps.map((s) => [s.from, s.to, s.step, s.name])).toEqual([[2, 3, 3, "c"]]);
    expect(migrate(db, "x.db", undefined, list)).toEqual([]);
    expect(db.prepare("SELECT x, y FROM a").all()).toEqual([{ x: 1, y: "one" }]);
    db.close();
  });
});
