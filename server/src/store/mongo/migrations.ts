/**
 * MongoDB schema migrations: numbered, applied in order. The version lives in the `_schema`
 * collection as `{_id: "schema", version}` (the number of the last migration applied; no document =
 * 0, a database from before versioning).
 *
 * To change the schema, append ONE entry to MIGRATIONS: the next number, a short name and `up`, e.g.
 *
 *   { version: 2, name: "persons by name", up: (db) => db.collection("persons").createIndex({ name: 1 }).then(() => {}) },
 *
 * and cover it in server/test/storeContract/. Never edit or reorder a released entry.
 *
 * There are no transactions here (a standalone server has none), so every step must be idempotent:
 * the version is written after the step, and a step interrupted by a crash runs again at the next
 * start (createIndexes of an existing index is a no-op; a data rewrite must tolerate finding its own
 * output). A database above the last entry was written by a newer server and is refused
 * (SCHEMA_TOO_NEW). The SQLite store keeps its own list (../sqlite/migrations.ts) under the same rules.
 */
import type { Db, Document } from "mongodb";
import { checkNumbering, schemaTooNew, stepRecord } from "../schema.ts";
import type { SchemaStep } from "../types.ts";

export interface MongoMigration {
  version: number;
  name: string;
  up(db: Db): Promise<void>;
}

/** The indexes of the release before versioning. */
async function initialIndexes(db: Db): Promise<void> {
  await Promise.all([
    db
      .collection("persons")
      .createIndexes([
        { key: { createdAt: -1, _id: -1 } },
        { key: { lastSeenAt: -1, _id: -1 } },
        { key: { sightingCount: -1, _id: -1 } },
        { key: { list: 1, createdAt: -1 } },
        { key: { autoNumber: -1 } },
      ]),
    db.collection("faces").createIndexes([{ key: { personId: 1 } }]),
    db
      .collection("sightings")
      .createIndexes([
        { key: { capturedAt: -1, _id: -1 } },
        { key: { personId: 1, capturedAt: -1 } },
        { key: { cameraId: 1, capturedAt: -1 } },
        { key: { agentId: 1, cameraId: 1, trackId: 1, lastSeenAt: -1 } },
        { key: { personId: 1, cameraId: 1, day: 1 } },
        { key: { lastSeenAt: 1 } },
        { key: { personList: 1, capturedAt: -1 } },
      ]),
    db.collection("events").createIndexes([{ key: { receivedAt: 1 } }]),
    db.collection("dead_letters").createIndexes([{ key: { receivedAt: -1, _id: -1 } }]),
    db
      .collection("alerts")
      .createIndexes([{ key: { createdAt: -1, _id: -1 } }, { key: { sightingId: 1 } }, { key: { personId: 1 } }]),
    db.collection("tokens").createIndexes([{ key: { hash: 1 }, unique: true }]),
    db.collection("users").createIndexes([{ key: { name: 1 }, unique: true }]),
    db.collection("sessions").createIndexes([{ key: { userId: 1 } }, { key: { expiresAt: 1 } }]),
    db
      .collection("deliveries")
      .createIndexes([{ key: { status: 1, nextAttemptAt: 1 } }, { key: { webhookId: 1, createdAt: -1 } }]),
  ]);
}

/**
 * Cameras were keyed by their id alone (one agent could re-own another's camera). Documents move to
 * `_id: agent/camera`; a camera set up before any agent reported it, or re-owned, is kept for every
 * agent whose sightings name it. Persons' and faces' camera become `agent/camera` keys. Idempotent:
 * documents already keyed are left alone.
 */
async function camerasByAgent(db: Db): Promise<void> {
  const col = (name: string) => db.collection<Document & { _id: string }>(name);
  const cams = col("cameras");
  const sightings = col("sightings");
  for (const c of await cams.find({ cameraId: { $exists: false } }).toArray()) {
    const agents = new Set<string>((await sightings.distinct("agentId", { cameraId: c._id })) as string[]);
    if (c.agentId) agents.add(c.agentId as string);
    for (const agentId of agents) {
      const own = agentId === c.agentId;
      await cams.updateOne(
        { _id: `${agentId}/${c._id}` },
        {
          $setOnInsert: {
            agentId,
            cameraId: c._id,
            name: c.name ?? null,
            configName: null,
            sensitive: !!c.sensitive,
            status: own ? (c.status ?? null) : null,
            statusAt: own ? (c.statusAt ?? null) : null,
            stateSince: own ? (c.statusAt ?? null) : null,
            lastEventAt: own ? (c.lastEventAt ?? null) : null,
            eventCount: own ? (c.eventCount ?? 0) : 0,
          },
        },
        { upsert: true },
      );
    }
    await cams.deleteOne({ _id: c._id });
  }
  await cams.createIndexes([{ key: { agentId: 1, cameraId: 1 } }]);
  // Per-camera matching scopes: the camera where a person or a face was seen, as a key.
  for (const p of await col("persons")
    .find({ cameraId: { $type: "string", $not: /\// } })
    .toArray()) {
    const first = await sightings.findOne({ personId: p._id }, { sort: { capturedAt: 1 } });
    await col("persons").updateOne(
      { _id: p._id },
      { $set: { cameraId: first ? `${first.agentId}/${first.cameraId}` : null } },
    );
  }
  for (const f of await col("faces")
    .find({ cameraId: { $type: "string", $not: /\// } })
    .toArray()) {
    const s = f.sightingId ? await sightings.findOne({ _id: f.sightingId }) : null;
    await col("faces").updateOne({ _id: f._id }, { $set: { cameraId: s ? `${s.agentId}/${s.cameraId}` : null } });
  }
  await sightings.createIndexes([{ key: { personId: 1, agentId: 1, cameraId: 1, day: 1 } }]);
}

export const MIGRATIONS: readonly MongoMigration[] = [
  { version: 1, name: "initial indexes", up: initialIndexes },
  {
    version: 2,
    name: "sightings.clockSkewed: capture time outside the clock skew window, receive time stored",
    // Idempotent: only sightings written before the field existed are touched.
    up: async (db) => {
      await db
        .collection("sightings")
        .updateMany({ clockSkewed: { $exists: false } }, { $set: { clockSkewed: false } });
    },
  },
  {
    version: 3,
    name: "stream journal",
    up: (db) =>
      db
        .collection("stream_events")
        .createIndexes([{ key: { at: 1 } }])
        .then(() => {}),
  },
  {
    version: 4,
    name: "cameras keyed by (agent, camera); camera names from the agents; state since",
    up: camerasByAgent,
  },
  {
    version: 5,
    name: "identities: sighting embeddings, grades and reasons; audit log; exclusions; proposals; jobs",
    up: async (db) => {
      // New fields read as null where missing (toSighting); the collections need their indexes.
      await db.collection("sightings").createIndexes([{ key: { indexId: 1 }, sparse: true }]);
      await db
        .collection("audit")
        .createIndexes([{ key: { at: 1 } }, { key: { targetType: 1, targetId: 1, _id: -1 } }]);
      await db.collection("exclusions").createIndexes([{ key: { trackKey: 1 } }, { key: { personId: 1 } }]);
      await db
        .collection("proposals")
        .createIndexes([{ key: { pid: 1 }, unique: true }, { key: { status: 1, score: -1 } }]);
      await db.collection("jobs").createIndexes([{ key: { createdAt: -1 } }]);
    },
  },
  {
    version: 6,
    name: "integration accounts: read-only MQTT logins of the embedded broker",
    // Keyed by _id (the name) only; the collection is made here so the step is visible. Idempotent.
    up: async (db) => {
      if (!(await db.listCollections({ name: "integrations" }, { nameOnly: true }).hasNext()))
        await db.createCollection("integrations").catch((e: { code?: number }) => {
          if (e.code !== 48) throw e; // NamespaceExists: another server made it meanwhile
        });
    },
  },
  {
    version: 7,
    name: "alert triage: mutes per camera or person; alerts' acknowledgement note and the mute that matched",
    // Alerts' ackNote and mutedBy read as null where missing (mongo/alerts.ts). Idempotent.
    up: async (db) => {
      await db.collection("mutes").createIndexes([{ key: { until: 1 } }]);
      await db.collection("alerts").createIndexes([{ key: { mutedBy: 1, createdAt: -1 } }]);
    },
  },
];
checkNumbering(MIGRATIONS);

interface SchemaDoc {
  _id: string;
  version: number;
  updatedAt?: number;
}

const schemaDoc = (db: Db) => db.collection<SchemaDoc>("_schema");

export async function schemaVersion(db: Db): Promise<number> {
  return (await schemaDoc(db).findOne({ _id: "schema" }))?.version ?? 0;
}

/**
 * Brings the database to the last migration; returns the steps applied (none when up to date), each
 * also passed to `onStep` once recorded. `where` names the database in the SCHEMA_TOO_NEW error.
 */
export async function migrate(
  db: Db,
  where: string,
  onStep?: (s: SchemaStep) => void,
  migrations: readonly MongoMigration[] = MIGRATIONS,
): Promise<SchemaStep[]> {
  const from = await schemaVersion(db);
  const to = migrations.length;
  if (from > to) throw schemaTooNew(where, from, to);
  const done: SchemaStep[] = [];
  for (const m of migrations.slice(from)) {
    const t0 = performance.now();
    await m.up(db);
    // $max: two servers starting together both run the (idempotent) step; the version never goes back.
    await schemaDoc(db).updateOne(
      { _id: "schema" },
      { $max: { version: m.version }, $set: { updatedAt: Date.now() } },
      { upsert: true },
    );
    const step = stepRecord(from, to, m.version, m.name, t0);
    done.push(step);
    onStep?.(step);
  }
  return done;
}
