/**
 * The production store: MongoDB through the official driver. Indexes are created at start. Crops stay
 * on disk (crops.ts), like the embedded store.
 *
 * No multi-document transactions (they need a replica set and would make a standalone server unusable):
 * instead every write of an ingest batch is idempotent by id (the ingestor derives ids from event ids
 * and retries the same batch until it lands), and the event ids that mark a batch as done are written
 * last. A crash in the middle therefore leads to a replay that converges on the same documents.
 */
import { Binary, type Collection, type Db, type Document, MongoClient, MongoServerError } from "mongodb";
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

type Doc = Document & { _id: string | number };

function isDup(e: unknown): boolean {
  if (!(e instanceof MongoServerError)) return false;
  if (e.code === 11000) return true;
  const w = (e as { writeErrors?: Array<{ code: number }> }).writeErrors ?? [];
  return w.length > 0 && w.every((x) => x.code === 11000);
}

/** insertMany that treats "already there" as success (replays). */
async function insertIdempotent(c: Collection<Doc>, docs: Doc[]): Promise<void> {
  if (!docs.length) return;
  try {
    await c.insertMany(docs, { ordered: false });
  } catch (e) {
    if (!isDup(e)) throw e;
  }
}

function withId<T extends { id: string | number }>(v: T): Doc {
  const { id, ...rest } = v;
  return { _id: id, ...rest };
}
function fromDoc<T>(d: Doc | null): T | undefined {
  if (!d) return undefined;
  const { _id, ...rest } = d;
  return { id: _id, ...rest } as T;
}

/**
 * Keyset pagination in (key DESC, _id DESC) order. A null key (a person never seen) sorts last and
 * is encoded as 0 in the cursor, as in the SQLite store's COALESCE.
 */
function keyset(field: string, cursor: string | undefined): Document | undefined {
  const c = decodeCursor(cursor);
  if (!c) return undefined;
  if (c.key === 0) return { [field]: { $in: [null, 0] }, _id: { $lt: c.id } };
  return { $or: [{ [field]: { $lt: c.key } }, { [field]: c.key, _id: { $lt: c.id } }, { [field]: null }] };
}

async function pageOf<T>(
  c: Collection<Doc>,
  filter: Document,
  field: string,
  cursor: string | undefined,
  limit: number,
  map: (d: Doc) => T = (d) => fromDoc<T>(d)!,
  keyOf: (d: Doc) => number = (d) => d[field] as number,
): Promise<Page<T>> {
  const ks = keyset(field, cursor);
  const q = ks ? { $and: [filter, ks] } : filter;
  const docs = await c
    .find(q)
    .sort({ [field]: -1, _id: -1 })
    .limit(limit + 1)
    .toArray();
  const more = docs.length > limit;
  const items = docs.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(keyOf(last), last._id as string) : null };
}

const toFace = (d: Doc): Face => {
  const { embedding: _e, ...f } = fromDoc<FaceWithEmbedding & { embedding: unknown }>(d)!;
  return f as Face;
};
const embeddingOf = (b: Binary): Float32Array => {
  const bytes = b.buffer;
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
};

export class MongoStore implements Store {
  readonly kind = "mongo" as const;
  private readonly client: MongoClient;
  private db!: Db;

  constructor(
    readonly url: string,
    readonly dbName?: string,
  ) {
    this.client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  }

  private c(name: string): Collection<Doc> {
    return this.db.collection<Doc>(name);
  }

  async init(): Promise<void> {
    await this.client.connect();
    this.db = this.client.db(this.dbName);
    await Promise.all([
      this.c("persons").createIndexes([
        { key: { createdAt: -1, _id: -1 } },
        { key: { lastSeenAt: -1, _id: -1 } },
        { key: { sightingCount: -1, _id: -1 } },
        { key: { list: 1, createdAt: -1 } },
        { key: { autoNumber: -1 } },
      ]),
      this.c("faces").createIndexes([{ key: { personId: 1 } }]),
      this.c("sightings").createIndexes([
        { key: { capturedAt: -1, _id: -1 } },
        { key: { personId: 1, capturedAt: -1 } },
        { key: { cameraId: 1, capturedAt: -1 } },
        { key: { agentId: 1, cameraId: 1, trackId: 1, lastSeenAt: -1 } },
        { key: { personId: 1, cameraId: 1, day: 1 } },
        { key: { lastSeenAt: 1 } },
        { key: { personList: 1, capturedAt: -1 } },
      ]),
      this.c("events").createIndexes([{ key: { receivedAt: 1 } }]),
      this.c("dead_letters").createIndexes([{ key: { receivedAt: -1, _id: -1 } }]),
      this.c("alerts").createIndexes([
        { key: { createdAt: -1, _id: -1 } },
        { key: { sightingId: 1 } },
        { key: { personId: 1 } },
      ]),
      this.c("tokens").createIndexes([{ key: { hash: 1 }, unique: true }]),
      this.c("users").createIndexes([{ key: { name: 1 }, unique: true }]),
      this.c("sessions").createIndexes([{ key: { userId: 1 } }, { key: { expiresAt: 1 } }]),
      this.c("deliveries").createIndexes([
        { key: { status: 1, nextAttemptAt: 1 } },
        { key: { webhookId: 1, createdAt: -1 } },
      ]),
    ]);
  }
  async close(): Promise<void> {
    await this.client.close();
  }
  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  // ---------------------------------------------------------------- ingestion

  async commitBatch(b: IngestBatch): Promise<void> {
    await insertIdempotent(this.c("persons"), b.newPersons.map(withId));
    await insertIdempotent(
      this.c("faces"),
      b.newFaces.map((f) => this.faceDoc(f)),
    );
    if (b.deletedFaceIds.length) await this.c("faces").deleteMany({ _id: { $in: b.deletedFaceIds } });
    // Sightings carry the person's list and kind so filters need no join.
    const meta = await this.personMeta(b.newSightings.map((s) => s.personId));
    const inserted = new Set<string>();
    for (const s of b.newSightings) {
      try {
        await this.c("sightings").insertOne({ ...withId(s), ...this.denorm(meta.get(s.personId ?? "")) });
        inserted.add(s.id);
      } catch (e) {
        if (!isDup(e)) throw e;
      }
    }
    for (const u of b.sightingUpdates) {
      const { id: _id, ...set } = u.set;
      if (set.personId !== undefined)
        Object.assign(set, this.denorm((await this.personMeta([set.personId])).get(set.personId ?? "")));
      await this.c("sightings").updateOne({ _id: u.id }, { $set: set });
    }
    for (const p of b.personSeen) {
      // Count only sightings this attempt really inserted, so a replay does not count twice.
      const n = b.newSightings.filter((s) => s.personId === p.id && inserted.has(s.id)).length;
      await this.c("persons").updateOne({ _id: p.id }, { $max: { lastSeenAt: p.at }, $inc: { sightingCount: n } });
    }
    await insertIdempotent(this.c("alerts"), b.alerts.map(withId));
    await insertIdempotent(this.c("deliveries"), b.deliveries.map(withId));
    for (const c of b.cameraEvents) {
      await this.c("cameras").updateOne(
        { _id: c.cameraId },
        {
          $set: { agentId: c.agentId },
          $max: { lastEventAt: c.at },
          $inc: { eventCount: c.events },
          $setOnInsert: { name: null, sensitive: false, status: null, statusAt: null },
        },
        { upsert: true },
      );
    }
    await insertIdempotent(
      this.c("events"),
      b.eventIds.map((e) => ({ _id: e.eventId, sightingId: e.sightingId, receivedAt: e.receivedAt })),
    );
  }

  private async personMeta(ids: Array<string | null>): Promise<Map<string, { list: string | null; kind: string }>> {
    const want = [...new Set(ids.filter((x): x is string => !!x))];
    const out = new Map<string, { list: string | null; kind: string }>();
    if (!want.length) return out;
    for (const d of await this.c("persons")
      .find({ _id: { $in: want } }, { projection: { list: 1, kind: 1 } })
      .toArray()) {
      out.set(d._id as string, { list: (d.list as string) ?? null, kind: d.kind as string });
    }
    return out;
  }
  private denorm(m: { list: string | null; kind: string } | undefined) {
    return { personList: m?.list ?? null, personKind: m?.kind ?? null };
  }

  async knownEventIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const docs = await this.c("events")
      .find({ _id: { $in: ids } }, { projection: { _id: 1 } })
      .toArray();
    return new Set(docs.map((d) => d._id as string));
  }

  async findTrackSighting(agentId: string, cameraId: string, trackId: string, since: number) {
    const d = await this.c("sightings").findOne(
      { agentId, cameraId, trackId, lastSeenAt: { $gte: since } },
      { sort: { lastSeenAt: -1 } },
    );
    return d ? this.toSighting(d) : undefined;
  }

  private toSighting(d: Doc): Sighting {
    const {
      personList: _l,
      personKind: _k,
      ...rest
    } = fromDoc<Sighting & { personList: unknown; personKind: unknown }>(d)!;
    return rest as Sighting;
  }

  async addDeadLetter(d: DeadLetter): Promise<void> {
    await insertIdempotent(this.c("dead_letters"), [{ ...withId(d), payload: new Binary(d.payload) }]);
  }
  async listDeadLetters(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>> {
    return pageOf(this.c("dead_letters"), {}, "receivedAt", cursor, limit, (d) => ({
      ...fromDoc<DeadLetter>(d)!,
      payload: Buffer.from((d.payload as Binary).buffer),
    }));
  }
  async countDeadLetters(): Promise<number> {
    return this.c("dead_letters").countDocuments();
  }

  // ---------------------------------------------------------------- persons

  async insertPerson(p: Person): Promise<void> {
    await insertIdempotent(this.c("persons"), [withId(p)]);
  }
  async getPerson(id: string): Promise<Person | undefined> {
    return fromDoc<Person>(await this.c("persons").findOne({ _id: id }));
  }
  async listPersons(f: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>> {
    const field = f.sort === "lastSeen" ? "lastSeenAt" : f.sort === "sightings" ? "sightingCount" : "createdAt";
    const q: Document = {};
    if (f.list === "none") q.list = null;
    else if (f.list) q.list = f.list;
    if (f.kind) q.kind = f.kind;
    if (f.q) q.name = { $regex: f.q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), $options: "i" };
    return pageOf<Person>(this.c("persons"), q, field, cursor, limit, undefined, (d) => (d[field] as number) ?? 0);
  }
  async updatePerson(id: string, patch: PersonPatch, at: number): Promise<Person | undefined> {
    const set: Document = { updatedAt: at };
    for (const k of ["name", "list", "meta", "kind", "cameraId"] as const)
      if (patch[k] !== undefined) set[k] = patch[k];
    const r = await this.c("persons").findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: "after" });
    if (!r) return undefined;
    if (patch.list !== undefined || patch.kind !== undefined) {
      await this.c("sightings").updateMany(
        { personId: id },
        { $set: { personList: r.list ?? null, personKind: r.kind } },
      );
    }
    return fromDoc<Person>(r);
  }
  async deletePerson(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined> {
    if (!(await this.c("persons").findOne({ _id: id }, { projection: { _id: 1 } }))) return undefined;
    const faceIds = (
      await this.c("faces")
        .find({ personId: id }, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id as number);
    const sightingIds = (
      await this.c("sightings")
        .find({ personId: id }, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id as string);
    const alertIds = (
      await this.c("alerts")
        .find({ $or: [{ personId: id }, { sightingId: { $in: sightingIds } }] }, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id);
    await this.c("deliveries").deleteMany({ alertId: { $in: alertIds } });
    await this.c("alerts").deleteMany({ _id: { $in: alertIds } });
    await this.c("sightings").deleteMany({ personId: id });
    await this.c("faces").deleteMany({ personId: id });
    await this.c("persons").deleteOne({ _id: id });
    return { faceIds, sightingIds };
  }
  async mergePersons(intoId: string, fromId: string, at: number): Promise<void> {
    const into = await this.c("persons").findOne({ _id: intoId });
    await this.c("sightings").updateMany(
      { personId: fromId },
      { $set: { personId: intoId, personList: into?.list ?? null, personKind: into?.kind ?? null } },
    );
    await this.c("faces").updateMany({ personId: fromId }, { $set: { personId: intoId } });
    await this.c("alerts").updateMany({ personId: fromId }, { $set: { personId: intoId } });
    const count = await this.c("sightings").countDocuments({ personId: intoId });
    const last = await this.c("sightings").findOne({ personId: intoId }, { sort: { lastSeenAt: -1 } });
    await this.c("persons").updateOne(
      { _id: intoId },
      { $set: { sightingCount: count, lastSeenAt: (last?.lastSeenAt as number) ?? null, updatedAt: at } },
    );
    await this.c("persons").deleteOne({ _id: fromId });
  }
  async allPersonsBrief() {
    const docs = await this.c("persons")
      .find({}, { projection: { kind: 1, list: 1, cameraId: 1 } })
      .toArray();
    return docs.map((d) => ({
      id: d._id as string,
      kind: d.kind as Person["kind"],
      list: (d.list as Person["list"]) ?? null,
      cameraId: (d.cameraId as string) ?? null,
    }));
  }
  async maxAutoNumber(): Promise<number> {
    const d = await this.c("persons").findOne({ autoNumber: { $ne: null } }, { sort: { autoNumber: -1 } });
    return (d?.autoNumber as number) ?? 0;
  }
  async countPersons(): Promise<number> {
    return this.c("persons").countDocuments();
  }

  // ---------------------------------------------------------------- faces

  private faceDoc(f: FaceWithEmbedding): Doc {
    const e = f.embedding;
    return { ...withId(f), embedding: new Binary(Buffer.from(e.buffer, e.byteOffset, e.byteLength)) };
  }
  async insertFace(f: FaceWithEmbedding): Promise<void> {
    await insertIdempotent(this.c("faces"), [this.faceDoc(f)]);
  }
  async deleteFaces(ids: number[]): Promise<void> {
    if (ids.length) await this.c("faces").deleteMany({ _id: { $in: ids } });
  }
  async listFaces(personId: string): Promise<Face[]> {
    const docs = await this.c("faces")
      .find({ personId }, { projection: { embedding: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(toFace);
  }
  async getFace(id: number): Promise<Face | undefined> {
    const d = await this.c("faces").findOne({ _id: id }, { projection: { embedding: 0 } });
    return d ? toFace(d) : undefined;
  }
  async allFacesBrief(): Promise<Face[]> {
    const docs = await this.c("faces")
      .find({}, { projection: { embedding: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(toFace);
  }
  async faceEmbeddings(ids: number[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    for (let i = 0; i < ids.length; i += 1000) {
      const docs = await this.c("faces")
        .find({ _id: { $in: ids.slice(i, i + 1000) } }, { projection: { embedding: 1 } })
        .toArray();
      for (const d of docs) out.set(d._id as number, embeddingOf(d.embedding as Binary));
    }
    return out;
  }
  async maxFaceId(): Promise<number> {
    const d = await this.c("faces").findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
    return (d?._id as number) ?? 0;
  }

  // ---------------------------------------------------------------- sightings

  async getSighting(id: string): Promise<Sighting | undefined> {
    const d = await this.c("sightings").findOne({ _id: id });
    return d ? this.toSighting(d) : undefined;
  }
  async listSightings(f: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>> {
    const q: Document = {};
    if (f.personId) q.personId = f.personId;
    if (f.cameraIds?.length) q.cameraId = { $in: f.cameraIds };
    if (f.from !== undefined || f.to !== undefined) {
      q.capturedAt = {};
      if (f.from !== undefined) q.capturedAt.$gte = f.from;
      if (f.to !== undefined) q.capturedAt.$lt = f.to;
    }
    if (f.list === "none") q.personList = null;
    else if (f.list) q.personList = f.list;
    if (f.kind) q.personKind = f.kind;
    return pageOf(this.c("sightings"), q, "capturedAt", cursor, limit, (d) => this.toSighting(d));
  }
  async distinctDays(personId: string, cameraId: string, sinceDay: number): Promise<number[]> {
    const days = (await this.c("sightings").distinct("day", {
      personId,
      cameraId,
      day: { $gte: sinceDay },
    })) as number[];
    return days.sort((a, b) => a - b);
  }
  async regularCameras(personId: string, sinceDay: number, minDays: number): Promise<string[]> {
    const rows = await this.c("sightings")
      .aggregate<{ _id: string; days: number[] }>([
        { $match: { personId, day: { $gte: sinceDay } } },
        { $group: { _id: "$cameraId", days: { $addToSet: "$day" } } },
      ])
      .toArray();
    return rows
      .filter((r) => r.days.length >= minDays)
      .map((r) => r._id)
      .sort();
  }
  async deleteSightingsBefore(before: number, keepListed: boolean, limit: number): Promise<string[]> {
    const q: Document = { lastSeenAt: { $lt: before } };
    if (keepListed) q.personList = null;
    const docs = await this.c("sightings")
      .find(q, { projection: { _id: 1, personId: 1 } })
      .limit(limit)
      .toArray();
    const ids = docs.map((d) => d._id as string);
    if (!ids.length) return [];
    const alertIds = (
      await this.c("alerts")
        .find({ sightingId: { $in: ids } }, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id);
    await this.c("deliveries").deleteMany({ alertId: { $in: alertIds } });
    await this.c("alerts").deleteMany({ _id: { $in: alertIds } });
    await this.c("sightings").deleteMany({ _id: { $in: ids } });
    const perPerson = new Map<string, number>();
    for (const d of docs)
      if (d.personId) perPerson.set(d.personId as string, (perPerson.get(d.personId as string) ?? 0) + 1);
    for (const [pid, n] of perPerson) {
      await this.c("persons").updateOne({ _id: pid }, [
        { $set: { sightingCount: { $max: [0, { $subtract: ["$sightingCount", n] }] } } },
      ]);
    }
    return ids;
  }
  async emptyAutoPersons(limit: number): Promise<string[]> {
    const out: string[] = [];
    const cur = this.c("persons").find({ kind: "auto", list: null }, { projection: { _id: 1 } });
    for await (const d of cur) {
      if (!(await this.c("sightings").findOne({ personId: d._id }, { projection: { _id: 1 } })))
        out.push(d._id as string);
      if (out.length >= limit) break;
    }
    await cur.close();
    return out;
  }
  async deleteEventIdsBefore(before: number): Promise<number> {
    return (await this.c("events").deleteMany({ receivedAt: { $lt: before } })).deletedCount;
  }
  async countSightings(): Promise<number> {
    return this.c("sightings").countDocuments();
  }

  // ---------------------------------------------------------------- alerts

  async getAlert(id: string): Promise<Alert | undefined> {
    return fromDoc<Alert>(await this.c("alerts").findOne({ _id: id }));
  }
  async listAlerts(f: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>> {
    const q: Document = {};
    if (f.type) q.type = f.type;
    if (f.acked === true) q.ackedAt = { $ne: null };
    if (f.acked === false) q.ackedAt = null;
    if (f.personId) q.personId = f.personId;
    if (f.cameraId) q.cameraId = f.cameraId;
    return pageOf<Alert>(this.c("alerts"), q, "createdAt", cursor, limit);
  }
  async ackAlert(id: string, by: string, at: number): Promise<Alert | undefined> {
    await this.c("alerts").updateOne({ _id: id, ackedAt: null }, { $set: { ackedAt: at, ackedBy: by } });
    return this.getAlert(id);
  }

  // ---------------------------------------------------------------- agents and cameras

  async insertAgent(a: Agent): Promise<boolean> {
    try {
      await this.c("agents").insertOne(withId(a));
      return true;
    } catch (e) {
      if (isDup(e)) return false;
      throw e;
    }
  }
  async getAgent(id: string): Promise<Agent | undefined> {
    return fromDoc<Agent>(await this.c("agents").findOne({ _id: id }));
  }
  async listAgents(): Promise<Agent[]> {
    return (await this.c("agents").find().sort({ _id: 1 }).toArray()).map((d) => fromDoc<Agent>(d)!);
  }
  async updateAgentPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.c("agents").updateOne({ _id: id }, { $set: { passwordHash } })).matchedCount === 1;
  }
  async deleteAgent(id: string): Promise<boolean> {
    return (await this.c("agents").deleteOne({ _id: id })).deletedCount === 1;
  }
  async setAgentStatus(id: string, status: Record<string, unknown>, at: number): Promise<void> {
    await this.c("agents").updateOne({ _id: id }, { $set: { status, statusAt: at, lastSeenAt: at } });
  }
  async setCameraStatus(cameraId: string, agentId: string, status: Record<string, unknown>, at: number) {
    await this.c("cameras").updateOne(
      { _id: cameraId },
      {
        $set: { agentId, status, statusAt: at },
        $setOnInsert: { name: null, sensitive: false, lastEventAt: null, eventCount: 0 },
      },
      { upsert: true },
    );
  }
  private toCamera(d: Doc): Camera {
    return {
      id: d._id as string,
      agentId: (d.agentId as string) ?? null,
      name: (d.name as string) ?? null,
      sensitive: !!d.sensitive,
      status: (d.status as Record<string, unknown>) ?? null,
      statusAt: (d.statusAt as number) ?? null,
      lastEventAt: (d.lastEventAt as number) ?? null,
      eventCount: (d.eventCount as number) ?? 0,
    };
  }
  async getCamera(id: string): Promise<Camera | undefined> {
    const d = await this.c("cameras").findOne({ _id: id });
    return d ? this.toCamera(d) : undefined;
  }
  async listCameras(): Promise<Camera[]> {
    return (await this.c("cameras").find().sort({ _id: 1 }).toArray()).map((d) => this.toCamera(d));
  }
  async updateCamera(id: string, patch: { name?: string | null; sensitive?: boolean }): Promise<Camera> {
    const set: Document = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.sensitive !== undefined) set.sensitive = patch.sensitive;
    const insert: Document = { agentId: null, status: null, statusAt: null, lastEventAt: null, eventCount: 0 };
    if (patch.name === undefined) insert.name = null;
    if (patch.sensitive === undefined) insert.sensitive = false;
    await this.c("cameras").updateOne({ _id: id }, { $set: set, $setOnInsert: insert }, { upsert: true });
    return (await this.getCamera(id))!;
  }

  // ---------------------------------------------------------------- tokens

  async insertToken(t: Token): Promise<void> {
    await this.c("tokens").insertOne(withId(t));
  }
  async findTokenByHash(hash: string): Promise<Token | undefined> {
    return fromDoc<Token>(await this.c("tokens").findOne({ hash }));
  }
  async listTokens(): Promise<Token[]> {
    return (await this.c("tokens").find().sort({ createdAt: 1 }).toArray()).map((d) => fromDoc<Token>(d)!);
  }
  async revokeToken(id: string, at: number): Promise<boolean> {
    return (
      (await this.c("tokens").updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at } })).matchedCount === 1
    );
  }
  async touchToken(id: string, at: number): Promise<void> {
    await this.c("tokens").updateOne({ _id: id }, { $set: { lastUsedAt: at } });
  }

  // ---------------------------------------------------------------- users and sessions

  async insertUser(u: User): Promise<boolean> {
    try {
      await this.c("users").insertOne(withId(u));
      return true;
    } catch (e) {
      if (isDup(e)) return false;
      throw e;
    }
  }
  async getUser(id: string): Promise<User | undefined> {
    return fromDoc<User>(await this.c("users").findOne({ _id: id }));
  }
  async findUserByName(name: string): Promise<User | undefined> {
    return fromDoc<User>(await this.c("users").findOne({ name }));
  }
  async listUsers(): Promise<User[]> {
    return (await this.c("users").find().sort({ name: 1 }).toArray()).map((d) => fromDoc<User>(d)!);
  }
  async updateUser(id: string, patch: UserPatch, at: number): Promise<User | undefined> {
    const set: Document = {};
    for (const k of ["role", "passwordHash", "disabledAt", "lastLoginAt"] as const)
      if (patch[k] !== undefined) set[k] = patch[k];
    // A login stamp is not an edit of the account.
    if (Object.keys(set).some((k) => k !== "lastLoginAt")) set.updatedAt = at;
    if (Object.keys(set).length) await this.c("users").updateOne({ _id: id }, { $set: set });
    return this.getUser(id);
  }
  async deleteUser(id: string): Promise<boolean> {
    await this.c("sessions").deleteMany({ userId: id });
    return (await this.c("users").deleteOne({ _id: id })).deletedCount === 1;
  }
  async insertSession(x: Session): Promise<void> {
    await this.c("sessions").insertOne(withId(x));
  }
  async getSession(id: string): Promise<Session | undefined> {
    return fromDoc<Session>(await this.c("sessions").findOne({ _id: id }));
  }
  async touchSession(id: string, at: number): Promise<void> {
    await this.c("sessions").updateOne({ _id: id }, { $max: { lastSeenAt: at } });
  }
  async deleteSession(id: string): Promise<boolean> {
    return (await this.c("sessions").deleteOne({ _id: id })).deletedCount === 1;
  }
  async deleteUserSessions(userId: string): Promise<number> {
    return (await this.c("sessions").deleteMany({ userId })).deletedCount;
  }
  async deleteExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return (
      await this.c("sessions").deleteMany({ $or: [{ expiresAt: { $lte: now } }, { lastSeenAt: { $lt: idleBefore } }] })
    ).deletedCount;
  }

  // ---------------------------------------------------------------- webhooks

  async insertWebhook(w: Webhook): Promise<void> {
    await this.c("webhooks").insertOne(withId(w));
  }
  async listWebhooks(): Promise<Webhook[]> {
    return (await this.c("webhooks").find().sort({ createdAt: 1 }).toArray()).map((d) => fromDoc<Webhook>(d)!);
  }
  async deleteWebhook(id: string): Promise<boolean> {
    await this.c("deliveries").deleteMany({ webhookId: id });
    return (await this.c("webhooks").deleteOne({ _id: id })).deletedCount === 1;
  }
  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    const docs = await this.c("deliveries")
      .find({ status: "pending", nextAttemptAt: { $lte: now } })
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => fromDoc<Delivery>(d)!);
  }
  async updateDelivery(id: string, set: Partial<Delivery>): Promise<void> {
    const { id: _id, ...rest } = set;
    await this.c("deliveries").updateOne({ _id: id }, { $set: rest });
  }
  async listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>> {
    return pageOf<Delivery>(this.c("deliveries"), { webhookId }, "createdAt", cursor, limit);
  }

  // ---------------------------------------------------------------- meta

  async getMeta(key: string): Promise<string | undefined> {
    const d = await this.c("meta").findOne({ _id: key });
    return (d?.value as string) ?? undefined;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.c("meta").updateOne({ _id: key }, { $set: { value } }, { upsert: true });
  }
}
