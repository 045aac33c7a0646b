/**
 * SQLite schema migrations: numbered, applied in order, each in one transaction together with
 * `PRAGMA user_version` (the number of the last migration applied).
 *
 * To change the schema, append ONE entry to MIGRATIONS: the next number, a short name, and `up` (SQL
 * text, or a function of the connection for data rewrites), e.g.
 *
 *   { version: 2, name: "persons.note", up: "ALTER TABLE persons ADD COLUMN note TEXT" },
 *
 * then map the column in tables.ts (one line) and cover it in server/test/storeContract/. Never edit
 * or reorder a released entry: databases in the field have run it. A step that throws rolls back and
 * leaves the database at the previous version; the server reports the error and does not start.
 *
 * Version 0 is a database from before versioning: migration 1 is the schema of that release, all
 * `IF NOT EXISTS`, so such a database adopts it untouched. A database above the last entry was written
 * by a newer server and is refused (SCHEMA_TOO_NEW) rather than misread. The MongoDB store keeps its
 * own list (../mongo/migrations.ts) under the same rules.
 */
import type Database from "better-sqlite3";
import { checkNumbering, schemaTooNew, stepRecord } from "../schema.ts";
import type { SchemaStep } from "../types.ts";

export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database.Database) => void);
}

const V1_INITIAL = `
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

/**
 * Cameras were keyed by their id alone, so one agent's status or events re-owned another agent's
 * camera of the same id. Rows move to (agent, camera); a row named or marked sensitive before any
 * agent reported it, or re-owned, is kept for every agent whose sightings name that camera. Persons'
 * and faces' camera (the per-camera matching scope) become `agent/camera` keys.
 */
const V4_CAMERA_KEYS = `
CREATE TABLE cameras_v4 (
  agent_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT, config_name TEXT, sensitive INTEGER NOT NULL DEFAULT 0,
  status TEXT, status_at INTEGER, state_since INTEGER, last_event_at INTEGER, event_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (agent_id, id));
INSERT INTO cameras_v4 (agent_id, id, name, sensitive, status, status_at, state_since, last_event_at, event_count)
  SELECT agent_id, id, name, sensitive, status, status_at, status_at, last_event_at, event_count
  FROM cameras WHERE agent_id IS NOT NULL;
INSERT OR IGNORE INTO cameras_v4 (agent_id, id, name, sensitive)
  SELECT DISTINCT s.agent_id, c.id, c.name, c.sensitive FROM cameras c JOIN sightings s ON s.camera_id = c.id
  WHERE c.agent_id IS NULL OR s.agent_id <> c.agent_id;
DROP TABLE cameras;
ALTER TABLE cameras_v4 RENAME TO cameras;
UPDATE persons SET camera_id = (SELECT s.agent_id || '/' || s.camera_id FROM sightings s
  WHERE s.person_id = persons.id ORDER BY s.captured_at LIMIT 1)
  WHERE camera_id IS NOT NULL AND instr(camera_id, '/') = 0;
UPDATE faces SET camera_id = (SELECT s.agent_id || '/' || s.camera_id FROM sightings s WHERE s.id = faces.sighting_id)
  WHERE camera_id IS NOT NULL AND instr(camera_id, '/') = 0;
DROP INDEX IF EXISTS sightings_days;
CREATE INDEX sightings_days ON sightings(person_id, agent_id, camera_id, day);
`;

/**
 * Identities you can trust: each sighting keeps the embedding it was identified with (the history
 * index and clustering search them; `index_id` is its label there), the grade of its match and why it
 * has no person; alerts keep their grade. Operator actions are audited; "not X" decisions are kept per
 * track; clustering proposals and background jobs have their tables.
 */
const V5_IDENTITIES = `
ALTER TABLE sightings ADD COLUMN grade TEXT;
ALTER TABLE sightings ADD COLUMN unlinked_reason TEXT;
ALTER TABLE sightings ADD COLUMN index_id INTEGER;
ALTER TABLE sightings ADD COLUMN embedding BLOB;
CREATE UNIQUE INDEX sightings_index_id ON sightings(index_id) WHERE index_id IS NOT NULL;
ALTER TABLE alerts ADD COLUMN grade TEXT;
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, before TEXT, after TEXT);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_target ON audit(target_type, target_id, id);
CREATE TABLE exclusions (
  track_key TEXT NOT NULL, person_id TEXT NOT NULL, sighting_id TEXT, created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL, PRIMARY KEY (track_key, person_id));
CREATE INDEX exclusions_person ON exclusions(person_id);
CREATE TABLE proposals (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL, score REAL NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT, job_id TEXT,
  UNIQUE (kind, a, b));
CREATE INDEX proposals_status ON proposals(status, score);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL, message TEXT,
  result TEXT, error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, created_by TEXT);
CREATE INDEX jobs_created ON jobs(created_at);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial schema", up: V1_INITIAL },
  {
    version: 2,
    name: "sightings.clock_skewed: capture time outside the clock skew window, receive time stored",
    up: "ALTER TABLE sightings ADD COLUMN clock_skewed INTEGER NOT NULL DEFAULT 0",
  },
  {
    version: 3,
    name: "stream journal",
    up: `CREATE TABLE stream_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX stream_events_at ON stream_events(at);`,
  },
  {
    version: 4,
    name: "cameras keyed by (agent, camera); camera names from the agents; state since",
    up: V4_CAMERA_KEYS,
  },
  {
    version: 5,
    name: "identities: sighting embeddings, grades and reasons; audit log; exclusions; proposals; jobs",
    up: V5_IDENTITIES,
  },
  {
    version: 6,
    name: "integration accounts: read-only MQTT logins of the embedded broker",
    up: `CREATE TABLE integrations (
      id TEXT PRIMARY KEY, description TEXT, scopes TEXT NOT NULL, password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL, credentials_at INTEGER NOT NULL, last_connected_at INTEGER);`,
  },
  {
    version: 7,
    name: "sightings.context_box (the frame region of the context crop); cameras.snapshot_at",
    up: `ALTER TABLE sightings ADD COLUMN context_box TEXT;
    ALTER TABLE cameras ADD COLUMN snapshot_at INTEGER;`,
  },
  {
    version: 8,
    name: "alert triage: mutes per camera or person; alerts' acknowledgement note and the mute that matched",
    up: `ALTER TABLE alerts ADD COLUMN ack_note TEXT;
    ALTER TABLE alerts ADD COLUMN muted_by TEXT;
    CREATE TABLE mutes (
      id TEXT PRIMARY KEY, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, include_foe INTEGER NOT NULL,
      until INTEGER NOT NULL, reason TEXT, created_at INTEGER NOT NULL, created_by TEXT NOT NULL);
    CREATE INDEX mutes_until ON mutes(until);`,
  },
];
checkNumbering(MIGRATIONS);

export function schemaVersion(db: Database.Database): number {
  return Number(db.pragma("user_version", { simple: true }));
}

/**
 * Brings the database to the last migration; returns the steps applied (none when up to date), each
 * also passed to `onStep` once committed. `file` names the database in the SCHEMA_TOO_NEW error.
 */
export function migrate(
  db: Database.Database,
  file: string,
  onStep?: (s: SchemaStep) => void,
  migrations: readonly Migration[] = MIGRATIONS,
): SchemaStep[] {
  const from = schemaVersion(db);
  const to = migrations.length;
  if (from > to) throw schemaTooNew(file, from, to);
  const done: SchemaStep[] = [];
  for (const m of migrations.slice(from)) {
    const t0 = performance.now();
    // IMMEDIATE: takes the write lock first, so a second process starting on the same file waits,
    // then sees the new version and skips the step.
    const applied = db
      .transaction(() => {
        if (schemaVersion(db) >= m.version) return false;
        if (typeof m.up === "string") db.exec(m.up);
        else m.up(db);
        db.pragma(`user_version = ${m.version}`);
        return true;
      })
      .immediate();
    if (!applied) continue;
    const step = stepRecord(from, to, m.version, m.name, t0);
    done.push(step);
    onStep?.(step);
  }
  return done;
}
