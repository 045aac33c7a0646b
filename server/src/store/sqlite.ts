/**
 * The embedded store: SQLite through better-sqlite3 (WAL, one file in the data directory). Calls are
 * synchronous and fast; the async interface keeps it interchangeable with MongoDB.
 */
import Database from "better-sqlite3";
import {
  type Agent,
  type Alert,
  type AlertFilter,
  type Camera,
  type DeadLetter,
  type Delivery,
  decodeCursor,
  encodeCursor,
  type Face,
  type FaceWithEmbedding,
  type IngestBatch,
  type Page,
  type Person,
  type PersonFilter,
  type PersonPatch,
  type Session,
  type Sighting,
  type SightingFilter,
  type Store,
  type Token,
  type User,
  type UserPatch,
  type Webhook,
} from "./types.ts";

type Row = Record<string, unknown>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS persons (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, list TEXT, meta TEXT NOT NULL,
  auto_number INTEGER, camera_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  last_seen_at INTEGER, sighting_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS persons_created ON persons(created_at, id);
CREATE INDEX IF NOT EXISTS persons_list ON persons(list, created_at);
CREATE TABLE IF NOT EXISTS faces (
  id INTEGER PRIMARY KEY, person_id TEXT NOT NULL, source TEXT NOT NULL, camera_id TEXT, quality REAL NOT NULL,
  sighting_id TEXT, created_at INTEGER NOT NULL, embedding BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS faces_person ON faces(person_id);
CREATE TABLE IF NOT EXISTS sightings (
  id TEXT PRIMARY KEY, person_id TEXT, camera_id TEXT NOT NULL, agent_id TEXT NOT NULL, track_id TEXT NOT NULL,
  captured_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, day INTEGER NOT NULL, similarity REAL,
  quality REAL NOT NULL, box TEXT NOT NULL, frame TEXT NOT NULL, verdict TEXT NOT NULL, event_id TEXT NOT NULL,
  shots INTEGER NOT NULL, has_context INTEGER NOT NULL, attributes TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sightings_time ON sightings(captured_at, id);
CREATE INDEX IF NOT EXISTS sightings_person ON sightings(person_id, captured_at);
CREATE INDEX IF NOT EXISTS sightings_camera ON sightings(camera_id, captured_at);
CREATE INDEX IF NOT EXISTS sightings_track ON sightings(agent_id, camera_id, track_id, last_seen_at);
CREATE INDEX IF NOT EXISTS sightings_days ON sightings(person_id, camera_id, day);
CREATE INDEX IF NOT EXISTS sightings_last ON sightings(last_seen_at);
CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, sighting_id TEXT, received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS events_received ON events(received_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, topic TEXT NOT NULL, error TEXT NOT NULL,
  payload BLOB NOT NULL, size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters(received_at, id);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, person_id TEXT, sighting_id TEXT NOT NULL, camera_id TEXT NOT NULL,
  agent_id TEXT NOT NULL, captured_at INTEGER NOT NULL, similarity REAL, created_at INTEGER NOT NULL,
  acked_at INTEGER, acked_by TEXT);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(created_at, id);
CREATE INDEX IF NOT EXISTS alerts_sighting ON alerts(sighting_id);
CREATE INDEX IF NOT EXISTS alerts_person ON alerts(person_id);
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, status TEXT, status_at INTEGER,
  last_seen_at INTEGER);
CREATE TABLE IF NOT EXISTS cameras (
  id TEXT PRIMARY KEY, agent_id TEXT, name TEXT, sensitive INTEGER NOT NULL DEFAULT 0, status TEXT,
  status_at INTEGER, last_event_at INTEGER, event_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, name TEXT NOT NULL,
  created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, alert_id TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, last_error TEXT, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook_id, created_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, disabled_at INTEGER, last_login_at INTEGER);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
`;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T => (v === null || v === undefined ? (null as T) : (JSON.parse(v as string) as T));

export function embeddingToBlob(e: Float32Array): Buffer {
  return Buffer.from(e.buffer, e.byteOffset, e.byteLength);
}
export function embeddingFromBlob(b: Uint8Array): Float32Array {
  // Copy: the driver's buffer may not be 4-byte aligned.
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

const toPerson = (r: Row): Person => ({
  id: r.id as string,
  name: r.name as string,
  kind: r.kind as Person["kind"],
  list: (r.list as Person["list"]) ?? null,
  meta: parse(r.meta) ?? {},
  autoNumber: (r.auto_number as number) ?? null,
  cameraId: (r.camera_id as string) ?? null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  lastSeenAt: (r.last_seen_at as number) ?? null,
  sightingCount: r.sighting_count as number,
});

const toFace = (r: Row): Face => ({
  id: r.id as number,
  personId: r.person_id as string,
  source: r.source as Face["source"],
  cameraId: (r.camera_id as string) ?? null,
  quality: r.quality as number,
  sightingId: (r.sighting_id as string) ?? null,
  createdAt: r.created_at as number,
});

const toSighting = (r: Row): Sighting => ({
  id: r.id as string,
  personId: (r.person_id as string) ?? null,
  cameraId: r.camera_id as string,
  agentId: r.agent_id as string,
  trackId: r.track_id as string,
  capturedAt: r.captured_at as number,
  lastSeenAt: r.last_seen_at as number,
  day: r.day as number,
  similarity: (r.similarity as number) ?? null,
  quality: r.quality as number,
  box: parse(r.box),
  frame: parse(r.frame),
  verdict: r.verdict as Sighting["verdict"],
  eventId: r.event_id as string,
  shots: r.shots as number,
  hasContext: r.has_context === 1,
  attributes: parse(r.attributes),
  createdAt: r.created_at as number,
});

const toAlert = (r: Row): Alert => ({
  id: r.id as string,
  type: r.type as Alert["type"],
  personId: (r.person_id as string) ?? null,
  sightingId: r.sighting_id as string,
  cameraId: r.camera_id as string,
  agentId: r.agent_id as string,
  capturedAt: r.captured_at as number,
  similarity: (r.similarity as number) ?? null,
  createdAt: r.created_at as number,
  ackedAt: (r.acked_at as number) ?? null,
  ackedBy: (r.acked_by as string) ?? null,
});

const toAgent = (r: Row): Agent => ({
  id: r.id as string,
  passwordHash: r.password_hash as string,
  createdAt: r.created_at as number,
  status: parse(r.status),
  statusAt: (r.status_at as number) ?? null,
  lastSeenAt: (r.last_seen_at as number) ?? null,
});

const toCamera = (r: Row): Camera => ({
  id: r.id as string,
  agentId: (r.agent_id as string) ?? null,
  name: (r.name as string) ?? null,
  sensitive: r.sensitive === 1,
  status: parse(r.status),
  statusAt: (r.status_at as number) ?? null,
  lastEventAt: (r.last_event_at as number) ?? null,
  eventCount: r.event_count as number,
});

const toToken = (r: Row): Token => ({
  id: r.id as string,
  hash: r.hash as string,
  role: r.role as Token["role"],
  name: r.name as string,
  createdAt: r.created_at as number,
  lastUsedAt: (r.last_used_at as number) ?? null,
  revokedAt: (r.revoked_at as number) ?? null,
});

const toUser = (r: Row): User => ({
  id: r.id as string,
  name: r.name as string,
  role: r.role as User["role"],
  passwordHash: r.password_hash as string,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  disabledAt: (r.disabled_at as number) ?? null,
  lastLoginAt: (r.last_login_at as number) ?? null,
});

const toSession = (r: Row): Session => ({
  id: r.id as string,
  userId: r.user_id as string,
  createdAt: r.created_at as number,
  expiresAt: r.expires_at as number,
  lastSeenAt: r.last_seen_at as number,
});

const toWebhook = (r: Row): Webhook => ({
  id: r.id as string,
  url: r.url as string,
  secret: r.secret as string,
  events: parse(r.events) ?? [],
  enabled: r.enabled === 1,
  createdAt: r.created_at as number,
});

const toDelivery = (r: Row): Delivery => ({
  id: r.id as string,
  webhookId: r.webhook_id as string,
  alertId: r.alert_id as string,
  status: r.status as Delivery["status"],
  attempts: r.attempts as number,
  nextAttemptAt: r.next_attempt_at as number,
  lastError: (r.last_error as string) ?? null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const SIGHTING_COLUMNS: Record<keyof Sighting, string> = {
  id: "id",
  personId: "person_id",
  cameraId: "camera_id",
  agentId: "agent_id",
  trackId: "track_id",
  capturedAt: "captured_at",
  lastSeenAt: "last_seen_at",
  day: "day",
  similarity: "similarity",
  quality: "quality",
  box: "box",
  frame: "frame",
  verdict: "verdict",
  eventId: "event_id",
  shots: "shots",
  hasContext: "has_context",
  attributes: "attributes",
  createdAt: "created_at",
};

function sightingValue(k: keyof Sighting, v: unknown): unknown {
  if (k === "box" || k === "frame" || k === "attributes") return json(v);
  if (k === "hasContext") return v ? 1 : 0;
  return v;
}

/** Keyset pagination: rows strictly after the cursor in (key DESC, id DESC) order. */
function keyset(keyExpr: string, cursor: string | undefined, where: string[], params: unknown[]): void {
  const c = decodeCursor(cursor);
  if (!c) return;
  where.push(`(${keyExpr} < ? OR (${keyExpr} = ? AND id < ?))`);
  params.push(c.key, c.key, c.id);
}

function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => number): Page<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: more && last ? encodeCursor(key(last), last.id as string) : null,
  };
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last commits.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = OFF");
  }

  private st(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async init(): Promise<void> {
    this.db.exec(SCHEMA);
  }
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
  async ping(): Promise<void> {
    this.st("SELECT 1").get();
  }

  // ---------------------------------------------------------------- ingestion

  async commitBatch(b: IngestBatch): Promise<void> {
    this.commitTx(b);
  }

  private readonly commitTx = (b: IngestBatch) =>
    this.db.transaction(() => {
      for (const p of b.newPersons) this.insertPersonSync(p);
      for (const f of b.newFaces) this.insertFaceSync(f);
      if (b.deletedFaceIds.length) this.deleteFacesSync(b.deletedFaceIds);
      // Count only sightings really inserted, so a replayed batch does not count twice.
      const added = new Map<string, number>();
      for (const s of b.newSightings) {
        if (this.insertSightingSync(s) && s.personId) added.set(s.personId, (added.get(s.personId) ?? 0) + 1);
      }
      for (const u of b.sightingUpdates) this.updateSightingSync(u.id, u.set);
      for (const p of b.personSeen) {
        this.st(
          "UPDATE persons SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?), sighting_count = sighting_count + ? WHERE id = ?",
        ).run(p.at, added.get(p.id) ?? 0, p.id);
      }
      for (const a of b.alerts) this.insertAlertSync(a);
      for (const d of b.deliveries) this.insertDeliverySync(d);
      for (const c of b.cameraEvents) {
        this.st(
          `INSERT INTO cameras (id, agent_id, last_event_at, event_count) VALUES (?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET agent_id = excluded.agent_id,
             last_event_at = MAX(COALESCE(last_event_at, 0), excluded.last_event_at),
             event_count = event_count + excluded.event_count`,
        ).run(c.cameraId, c.agentId, c.at, c.events);
      }
      for (const e of b.eventIds) {
        this.st("INSERT OR IGNORE INTO events (event_id, sighting_id, received_at) VALUES (?, ?, ?)").run(
          e.eventId,
          e.sightingId,
          e.receivedAt,
        );
      }
    })();

  async knownEventIds(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const s = this.st("SELECT 1 FROM events WHERE event_id = ?").pluck();
    for (const id of ids) if (s.get(id)) out.add(id);
    return out;
  }

  async findTrackSighting(agentId: string, cameraId: string, trackId: string, since: number) {
    const r = this.st(
      `SELECT * FROM sightings WHERE agent_id = ? AND camera_id = ? AND track_id = ? AND last_seen_at >= ?
       ORDER BY last_seen_at DESC LIMIT 1`,
    ).get(agentId, cameraId, trackId, since) as Row | undefined;
    return r ? toSighting(r) : undefined;
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    this.st(
      "INSERT OR IGNORE INTO dead_letters (id, received_at, topic, error, payload, size) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(d.id, d.receivedAt, d.topic, d.error, d.payload, d.size);
  }

  async listDeadLetters(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>> {
    const where: string[] = [];
    const params: unknown[] = [];
    keyset("received_at", cursor, where, params);
    const rows = this.db
      .prepare(
        `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY received_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as Row[];
    return page(
      rows,
      limit,
      (r) => ({
        id: r.id as string,
        receivedAt: r.received_at as number,
        topic: r.topic as string,
        error: r.error as string,
        payload: r.payload as Buffer,
        size: r.size as number,
      }),
      (r) => r.received_at as number,
    );
  }

  async countDeadLetters(): Promise<number> {
    return this.st("SELECT COUNT(*) FROM dead_letters").pluck().get() as number;
  }

  // ---------------------------------------------------------------- persons

  private insertPersonSync(p: Person): void {
    this.st(
      `INSERT OR IGNORE INTO persons (id, name, kind, list, meta, auto_number, camera_id, created_at, updated_at,
        last_seen_at, sighting_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      p.id,
      p.name,
      p.kind,
      p.list,
      JSON.stringify(p.meta ?? {}),
      p.autoNumber,
      p.cameraId,
      p.createdAt,
      p.updatedAt,
      p.lastSeenAt,
      p.sightingCount,
    );
  }

  async insertPerson(p: Person): Promise<void> {
    this.insertPersonSync(p);
  }

  async getPerson(id: string): Promise<Person | undefined> {
    const r = this.st("SELECT * FROM persons WHERE id = ?").get(id) as Row | undefined;
    return r ? toPerson(r) : undefined;
  }

  async listPersons(f: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>> {
    const keyExpr =
      f.sort === "lastSeen" ? "COALESCE(last_seen_at, 0)" : f.sort === "sightings" ? "sighting_count" : "created_at";
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.list === "none") where.push("list IS NULL");
    else if (f.list) {
      where.push("list = ?");
      params.push(f.list);
    }
    if (f.kind) {
      where.push("kind = ?");
      params.push(f.kind);
    }
    if (f.q) {
      where.push("instr(lower(name), lower(?)) > 0");
      params.push(f.q);
    }
    keyset(keyExpr, cursor, where, params);
    const rows = this.db
      .prepare(
        `SELECT *, ${keyExpr} AS sort_key FROM persons ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY ${keyExpr} DESC, id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as Row[];
    return page(rows, limit, toPerson, (r) => r.sort_key as number);
  }

  async updatePerson(id: string, patch: PersonPatch, at: number): Promise<Person | undefined> {
    const sets: string[] = ["updated_at = ?"];
    const params: unknown[] = [at];
    if (patch.name !== undefined) {
      sets.push("name = ?");
      params.push(patch.name);
    }
    if (patch.list !== undefined) {
      sets.push("list = ?");
      params.push(patch.list);
    }
    if (patch.meta !== undefined) {
      sets.push("meta = ?");
      params.push(JSON.stringify(patch.meta));
    }
    if (patch.kind !== undefined) {
      sets.push("kind = ?");
      params.push(patch.kind);
    }
    if (patch.cameraId !== undefined) {
      sets.push("camera_id = ?");
      params.push(patch.cameraId);
    }
    const r = this.db.prepare(`UPDATE persons SET ${sets.join(", ")} WHERE id = ?`).run(...params, id);
    return r.changes ? this.getPerson(id) : undefined;
  }

  async deletePerson(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined> {
    return this.db.transaction(() => {
      if (!this.st("SELECT 1 FROM persons WHERE id = ?").get(id)) return undefined;
      const faceIds = this.st("SELECT id FROM faces WHERE person_id = ?").pluck().all(id) as number[];
      const sightingIds = this.st("SELECT id FROM sightings WHERE person_id = ?").pluck().all(id) as string[];
      this.st(
        "DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE person_id = ? OR sighting_id IN (SELECT id FROM sightings WHERE person_id = ?))",
      ).run(id, id);
      this.st(
        "DELETE FROM alerts WHERE person_id = ? OR sighting_id IN (SELECT id FROM sightings WHERE person_id = ?)",
      ).run(id, id);
      this.st("DELETE FROM sightings WHERE person_id = ?").run(id);
      this.st("DELETE FROM faces WHERE person_id = ?").run(id);
      this.st("DELETE FROM persons WHERE id = ?").run(id);
      return { faceIds, sightingIds };
    })();
  }

  async mergePersons(intoId: string, fromId: string, at: number): Promise<void> {
    this.db.transaction(() => {
      this.st("UPDATE sightings SET person_id = ? WHERE person_id = ?").run(intoId, fromId);
      this.st("UPDATE faces SET person_id = ? WHERE person_id = ?").run(intoId, fromId);
      this.st("UPDATE alerts SET person_id = ? WHERE person_id = ?").run(intoId, fromId);
      this.st(
        `UPDATE persons SET sighting_count = (SELECT COUNT(*) FROM sightings WHERE person_id = ?),
           last_seen_at = (SELECT MAX(last_seen_at) FROM sightings WHERE person_id = ?), updated_at = ? WHERE id = ?`,
      ).run(intoId, intoId, at, intoId);
      this.st("DELETE FROM persons WHERE id = ?").run(fromId);
    })();
  }

  async allPersonsBrief() {
    return (this.st("SELECT id, kind, list, camera_id FROM persons").all() as Row[]).map((r) => ({
      id: r.id as string,
      kind: r.kind as Person["kind"],
      list: (r.list as Person["list"]) ?? null,
      cameraId: (r.camera_id as string) ?? null,
    }));
  }

  async maxAutoNumber(): Promise<number> {
    return (this.st("SELECT MAX(auto_number) FROM persons").pluck().get() as number | null) ?? 0;
  }
  async countPersons(): Promise<number> {
    return this.st("SELECT COUNT(*) FROM persons").pluck().get() as number;
  }

  // ---------------------------------------------------------------- faces

  private insertFaceSync(f: FaceWithEmbedding): void {
    this.st(
      `INSERT OR IGNORE INTO faces (id, person_id, source, camera_id, quality, sighting_id, created_at, embedding)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(f.id, f.personId, f.source, f.cameraId, f.quality, f.sightingId, f.createdAt, embeddingToBlob(f.embedding));
  }
  private deleteFacesSync(ids: number[]): void {
    const s = this.st("DELETE FROM faces WHERE id = ?");
    for (const id of ids) s.run(id);
  }

  async insertFace(f: FaceWithEmbedding): Promise<void> {
    this.insertFaceSync(f);
  }
  async deleteFaces(ids: number[]): Promise<void> {
    this.db.transaction(() => this.deleteFacesSync(ids))();
  }
  async listFaces(personId: string): Promise<Face[]> {
    const rows = this.st(
      "SELECT id, person_id, source, camera_id, quality, sighting_id, created_at FROM faces WHERE person_id = ? ORDER BY id",
    ).all(personId) as Row[];
    return rows.map(toFace);
  }
  async getFace(id: number): Promise<Face | undefined> {
    const r = this.st(
      "SELECT id, person_id, source, camera_id, quality, sighting_id, created_at FROM faces WHERE id = ?",
    ).get(id) as Row | undefined;
    return r ? toFace(r) : undefined;
  }
  async allFacesBrief(): Promise<Face[]> {
    const rows = this.st(
      "SELECT id, person_id, source, camera_id, quality, sighting_id, created_at FROM faces ORDER BY id",
    ).all() as Row[];
    return rows.map(toFace);
  }
  async faceEmbeddings(ids: number[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    const s = this.st("SELECT embedding FROM faces WHERE id = ?").pluck();
    for (const id of ids) {
      const b = s.get(id) as Buffer | undefined;
      if (b) out.set(id, embeddingFromBlob(b));
    }
    return out;
  }
  async maxFaceId(): Promise<number> {
    return (this.st("SELECT MAX(id) FROM faces").pluck().get() as number | null) ?? 0;
  }

  // ---------------------------------------------------------------- sightings

  private insertSightingSync(s: Sighting): boolean {
    const keys = Object.keys(SIGHTING_COLUMNS) as Array<keyof Sighting>;
    return (
      this.st(
        `INSERT OR IGNORE INTO sightings (${keys.map((k) => SIGHTING_COLUMNS[k]).join(", ")})
       VALUES (${keys.map(() => "?").join(", ")})`,
      ).run(...keys.map((k) => sightingValue(k, s[k]))).changes === 1
    );
  }

  private updateSightingSync(id: string, set: Partial<Sighting>): void {
    const keys = (Object.keys(set) as Array<keyof Sighting>).filter((k) => k !== "id");
    if (!keys.length) return;
    this.st(`UPDATE sightings SET ${keys.map((k) => `${SIGHTING_COLUMNS[k]} = ?`).join(", ")} WHERE id = ?`).run(
      ...keys.map((k) => sightingValue(k, set[k])),
      id,
    );
  }

  async getSighting(id: string): Promise<Sighting | undefined> {
    const r = this.st("SELECT * FROM sightings WHERE id = ?").get(id) as Row | undefined;
    return r ? toSighting(r) : undefined;
  }

  async listSightings(f: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.personId) {
      where.push("s.person_id = ?");
      params.push(f.personId);
    }
    if (f.cameraIds?.length) {
      where.push(`s.camera_id IN (${f.cameraIds.map(() => "?").join(",")})`);
      params.push(...f.cameraIds);
    }
    if (f.from !== undefined) {
      where.push("s.captured_at >= ?");
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push("s.captured_at < ?");
      params.push(f.to);
    }
    const join = f.list || f.kind;
    if (f.list === "none") where.push("p.list IS NULL");
    else if (f.list) {
      where.push("p.list = ?");
      params.push(f.list);
    }
    if (f.kind) {
      where.push("p.kind = ?");
      params.push(f.kind);
    }
    const c = decodeCursor(cursor);
    if (c) {
      where.push("(s.captured_at < ? OR (s.captured_at = ? AND s.id < ?))");
      params.push(c.key, c.key, c.id);
    }
    const rows = this.db
      .prepare(
        `SELECT s.* FROM sightings s ${join ? "LEFT JOIN persons p ON p.id = s.person_id" : ""}
         ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY s.captured_at DESC, s.id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as Row[];
    return page(rows, limit, toSighting, (r) => r.captured_at as number);
  }

  async distinctDays(personId: string, cameraId: string, sinceDay: number): Promise<number[]> {
    return this.st("SELECT DISTINCT day FROM sightings WHERE person_id = ? AND camera_id = ? AND day >= ? ORDER BY day")
      .pluck()
      .all(personId, cameraId, sinceDay) as number[];
  }

  async regularCameras(personId: string, sinceDay: number, minDays: number): Promise<string[]> {
    return this.st(
      `SELECT camera_id FROM sightings WHERE person_id = ? AND day >= ? GROUP BY camera_id
       HAVING COUNT(DISTINCT day) >= ? ORDER BY camera_id`,
    )
      .pluck()
      .all(personId, sinceDay, minDays) as string[];
  }

  async deleteSightingsBefore(before: number, keepListed: boolean, limit: number): Promise<string[]> {
    return this.db.transaction(() => {
      const rows = this.st(
        `SELECT s.id, s.person_id FROM sightings s LEFT JOIN persons p ON p.id = s.person_id
         WHERE s.last_seen_at < ? ${keepListed ? "AND p.list IS NULL" : ""} LIMIT ?`,
      ).all(before, limit) as Row[];
      const perPerson = new Map<string, number>();
      for (const r of rows) {
        this.st("DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE sighting_id = ?)").run(r.id);
        this.st("DELETE FROM alerts WHERE sighting_id = ?").run(r.id);
        this.st("DELETE FROM sightings WHERE id = ?").run(r.id);
        if (r.person_id) perPerson.set(r.person_id as string, (perPerson.get(r.person_id as string) ?? 0) + 1);
      }
      for (const [pid, n] of perPerson) {
        this.st("UPDATE persons SET sighting_count = MAX(0, sighting_count - ?) WHERE id = ?").run(n, pid);
      }
      return rows.map((r) => r.id as string);
    })();
  }

  async emptyAutoPersons(limit: number): Promise<string[]> {
    return this.st(
      `SELECT p.id FROM persons p WHERE p.kind = 'auto' AND p.list IS NULL
       AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.person_id = p.id) LIMIT ?`,
    )
      .pluck()
      .all(limit) as string[];
  }

  async deleteEventIdsBefore(before: number): Promise<number> {
    return this.st("DELETE FROM events WHERE received_at < ?").run(before).changes;
  }

  async countSightings(): Promise<number> {
    return this.st("SELECT COUNT(*) FROM sightings").pluck().get() as number;
  }

  // ---------------------------------------------------------------- alerts

  private insertAlertSync(a: Alert): void {
    this.st(
      `INSERT OR IGNORE INTO alerts (id, type, person_id, sighting_id, camera_id, agent_id, captured_at, similarity,
        created_at, acked_at, acked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      a.id,
      a.type,
      a.personId,
      a.sightingId,
      a.cameraId,
      a.agentId,
      a.capturedAt,
      a.similarity,
      a.createdAt,
      a.ackedAt,
      a.ackedBy,
    );
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    const r = this.st("SELECT * FROM alerts WHERE id = ?").get(id) as Row | undefined;
    return r ? toAlert(r) : undefined;
  }

  async listAlerts(f: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.type) {
      where.push("type = ?");
      params.push(f.type);
    }
    if (f.acked === true) where.push("acked_at IS NOT NULL");
    if (f.acked === false) where.push("acked_at IS NULL");
    if (f.personId) {
      where.push("person_id = ?");
      params.push(f.personId);
    }
    if (f.cameraId) {
      where.push("camera_id = ?");
      params.push(f.cameraId);
    }
    keyset("created_at", cursor, where, params);
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as Row[];
    return page(rows, limit, toAlert, (r) => r.created_at as number);
  }

  async ackAlert(id: string, by: string, at: number): Promise<Alert | undefined> {
    this.st("UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL").run(at, by, id);
    return this.getAlert(id);
  }

  // ---------------------------------------------------------------- agents and cameras

  async insertAgent(a: Agent): Promise<boolean> {
    return (
      this.st(
        "INSERT OR IGNORE INTO agents (id, password_hash, created_at, status, status_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(a.id, a.passwordHash, a.createdAt, json(a.status), a.statusAt, a.lastSeenAt).changes === 1
    );
  }
  async getAgent(id: string): Promise<Agent | undefined> {
    const r = this.st("SELECT * FROM agents WHERE id = ?").get(id) as Row | undefined;
    return r ? toAgent(r) : undefined;
  }
  async listAgents(): Promise<Agent[]> {
    return (this.st("SELECT * FROM agents ORDER BY id").all() as Row[]).map(toAgent);
  }
  async updateAgentPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.st("UPDATE agents SET password_hash = ? WHERE id = ?").run(passwordHash, id).changes === 1;
  }
  async deleteAgent(id: string): Promise<boolean> {
    return this.st("DELETE FROM agents WHERE id = ?").run(id).changes === 1;
  }
  async setAgentStatus(id: string, status: Record<string, unknown>, at: number): Promise<void> {
    this.st("UPDATE agents SET status = ?, status_at = ?, last_seen_at = ? WHERE id = ?").run(json(status), at, at, id);
  }
  async setCameraStatus(cameraId: string, agentId: string, status: Record<string, unknown>, at: number) {
    this.st(
      `INSERT INTO cameras (id, agent_id, status, status_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET agent_id = excluded.agent_id, status = excluded.status, status_at = excluded.status_at`,
    ).run(cameraId, agentId, json(status), at);
  }
  async getCamera(id: string): Promise<Camera | undefined> {
    const r = this.st("SELECT * FROM cameras WHERE id = ?").get(id) as Row | undefined;
    return r ? toCamera(r) : undefined;
  }
  async listCameras(): Promise<Camera[]> {
    return (this.st("SELECT * FROM cameras ORDER BY id").all() as Row[]).map(toCamera);
  }
  async updateCamera(id: string, patch: { name?: string | null; sensitive?: boolean }): Promise<Camera> {
    this.st("INSERT OR IGNORE INTO cameras (id) VALUES (?)").run(id);
    if (patch.name !== undefined) this.st("UPDATE cameras SET name = ? WHERE id = ?").run(patch.name, id);
    if (patch.sensitive !== undefined)
      this.st("UPDATE cameras SET sensitive = ? WHERE id = ?").run(patch.sensitive ? 1 : 0, id);
    return (await this.getCamera(id))!;
  }

  // ---------------------------------------------------------------- tokens

  async insertToken(t: Token): Promise<void> {
    this.st(
      "INSERT INTO tokens (id, hash, role, name, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(t.id, t.hash, t.role, t.name, t.createdAt, t.lastUsedAt, t.revokedAt);
  }
  async findTokenByHash(hash: string): Promise<Token | undefined> {
    const r = this.st("SELECT * FROM tokens WHERE hash = ?").get(hash) as Row | undefined;
    return r ? toToken(r) : undefined;
  }
  async listTokens(): Promise<Token[]> {
    return (this.st("SELECT * FROM tokens ORDER BY created_at").all() as Row[]).map(toToken);
  }
  async revokeToken(id: string, at: number): Promise<boolean> {
    return this.st("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id).changes === 1;
  }
  async touchToken(id: string, at: number): Promise<void> {
    this.st("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at, id);
  }

  // ---------------------------------------------------------------- users and sessions

  async insertUser(u: User): Promise<boolean> {
    return (
      this.st(
        `INSERT OR IGNORE INTO users (id, name, role, password_hash, created_at, updated_at, disabled_at, last_login_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(u.id, u.name, u.role, u.passwordHash, u.createdAt, u.updatedAt, u.disabledAt, u.lastLoginAt).changes === 1
    );
  }
  async getUser(id: string): Promise<User | undefined> {
    const r = this.st("SELECT * FROM users WHERE id = ?").get(id) as Row | undefined;
    return r ? toUser(r) : undefined;
  }
  async findUserByName(name: string): Promise<User | undefined> {
    const r = this.st("SELECT * FROM users WHERE name = ?").get(name) as Row | undefined;
    return r ? toUser(r) : undefined;
  }
  async listUsers(): Promise<User[]> {
    return (this.st("SELECT * FROM users ORDER BY name").all() as Row[]).map(toUser);
  }
  async updateUser(id: string, patch: UserPatch, at: number): Promise<User | undefined> {
    const cols: Record<keyof UserPatch, string> = {
      role: "role",
      passwordHash: "password_hash",
      disabledAt: "disabled_at",
      lastLoginAt: "last_login_at",
    };
    const keys = (Object.keys(patch) as Array<keyof UserPatch>).filter((k) => k in cols && patch[k] !== undefined);
    // A login stamp is not an edit of the account.
    const edit = keys.some((k) => k !== "lastLoginAt");
    const sets = [...keys.map((k) => `${cols[k]} = ?`), ...(edit ? ["updated_at = ?"] : [])];
    if (sets.length)
      this.db
        .prepare(`UPDATE users SET ${sets.join(", ")} WHERE id = ?`)
        .run(...keys.map((k) => patch[k]), ...(edit ? [at] : []), id);
    return this.getUser(id);
  }
  async deleteUser(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.st("DELETE FROM sessions WHERE user_id = ?").run(id);
      return this.st("DELETE FROM users WHERE id = ?").run(id).changes === 1;
    })();
  }
  async insertSession(x: Session): Promise<void> {
    this.st("INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)").run(
      x.id,
      x.userId,
      x.createdAt,
      x.expiresAt,
      x.lastSeenAt,
    );
  }
  async getSession(id: string): Promise<Session | undefined> {
    const r = this.st("SELECT * FROM sessions WHERE id = ?").get(id) as Row | undefined;
    return r ? toSession(r) : undefined;
  }
  async touchSession(id: string, at: number): Promise<void> {
    this.st("UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?").run(at, id);
  }
  async deleteSession(id: string): Promise<boolean> {
    return this.st("DELETE FROM sessions WHERE id = ?").run(id).changes === 1;
  }
  async deleteUserSessions(userId: string): Promise<number> {
    return this.st("DELETE FROM sessions WHERE user_id = ?").run(userId).changes;
  }
  async deleteExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return this.st("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?").run(now, idleBefore).changes;
  }

  // ---------------------------------------------------------------- webhooks

  async insertWebhook(w: Webhook): Promise<void> {
    this.st("INSERT INTO webhooks (id, url, secret, events, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      w.id,
      w.url,
      w.secret,
      JSON.stringify(w.events),
      w.enabled ? 1 : 0,
      w.createdAt,
    );
  }
  async listWebhooks(): Promise<Webhook[]> {
    return (this.st("SELECT * FROM webhooks ORDER BY created_at").all() as Row[]).map(toWebhook);
  }
  async deleteWebhook(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.st("DELETE FROM deliveries WHERE webhook_id = ?").run(id);
      return this.st("DELETE FROM webhooks WHERE id = ?").run(id).changes === 1;
    })();
  }
  private insertDeliverySync(d: Delivery): void {
    this.st(
      `INSERT OR IGNORE INTO deliveries (id, webhook_id, alert_id, status, attempts, next_attempt_at, last_error,
        created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(d.id, d.webhookId, d.alertId, d.status, d.attempts, d.nextAttemptAt, d.lastError, d.createdAt, d.updatedAt);
  }
  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    return (
      this.st(
        "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
      ).all(now, limit) as Row[]
    ).map(toDelivery);
  }
  async updateDelivery(id: string, set: Partial<Delivery>): Promise<void> {
    const cols: Record<string, string> = {
      status: "status",
      attempts: "attempts",
      nextAttemptAt: "next_attempt_at",
      lastError: "last_error",
      updatedAt: "updated_at",
    };
    const keys = Object.keys(set).filter((k) => k in cols);
    if (!keys.length) return;
    this.db
      .prepare(`UPDATE deliveries SET ${keys.map((k) => `${cols[k]} = ?`).join(", ")} WHERE id = ?`)
      .run(...keys.map((k) => set[k as keyof Delivery]), id);
  }
  async listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>> {
    const where = ["webhook_id = ?"];
    const params: unknown[] = [webhookId];
    keyset("created_at", cursor, where, params);
    const rows = this.db
      .prepare(`SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...params, limit + 1) as Row[];
    return page(rows, limit, toDelivery, (r) => r.created_at as number);
  }

  // ---------------------------------------------------------------- meta

  async getMeta(key: string): Promise<string | undefined> {
    return this.st("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined;
  }
  async setMeta(key: string, value: string): Promise<void> {
    this.st("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(
      key,
      value,
    );
  }
}
