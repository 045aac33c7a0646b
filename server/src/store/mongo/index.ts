/**
 * The production store: MongoDB through the official driver. One repository per aggregate
 * (persons.ts, ...); the schema history (indexes) is in migrations.ts. Crops stay on disk (../crops.ts),
 * like the embedded store.
 *
 * No multi-document transactions (they need a replica set and would make a standalone server unusable):
 * instead every write of an ingest batch is idempotent by id (the ingestor derives ids from event ids
 * and retries the same batch until it lands), and the event ids that mark a batch as done are written
 * last. A crash in the middle therefore leads to a replay that converges on the same documents.
 */
import { redactUrl } from "@argus/shared";
import { type Db, MongoClient } from "mongodb";
import type { IngestBatch, SchemaStep, Store } from "../types.ts";
import { MongoAccounts } from "./accounts.ts";
import { MongoAlerts, MongoMutes } from "./alerts.ts";
import { MongoDeadLetters } from "./deadLetters.ts";
import { MongoAgents, MongoCameras } from "./devices.ts";
import {
  type CollectionName,
  type Collections,
  type Doc,
  embeddingToBinary,
  insertIdempotent,
  isDup,
  withId,
} from "./docs.ts";
import { MongoAudit, MongoExclusions, MongoJobs, MongoProposals } from "./identities.ts";
import { MongoIntegrations } from "./integrations.ts";
import { MongoMeta } from "./meta.ts";
import { migrate } from "./migrations.ts";
import { faceDoc, MongoPersons } from "./persons.ts";
import { MongoSightings } from "./sightings.ts";
import { MongoStreamJournal } from "./streamJournal.ts";
import { MongoWebhooks } from "./webhooks.ts";

export class MongoStore implements Store {
  readonly kind = "mongo" as const;
  private readonly client: MongoClient;
  private db!: Db;
  private readonly c: Collections = (name: CollectionName) => this.db.collection<Doc>(name);
  readonly persons = new MongoPersons(this.c);
  readonly sightings = new MongoSightings(this.c);
  readonly alerts = new MongoAlerts(this.c);
  readonly agents = new MongoAgents(this.c);
  readonly cameras = new MongoCameras(this.c);
  readonly integrations = new MongoIntegrations(this.c);
  readonly accounts = new MongoAccounts(this.c);
  readonly webhooks = new MongoWebhooks(this.c);
  readonly deadLetters = new MongoDeadLetters(this.c);
  readonly meta = new MongoMeta(this.c);
  readonly streamJournal = new MongoStreamJournal(this.c);
  readonly audit = new MongoAudit(this.c);
  readonly exclusions = new MongoExclusions(this.c);
  readonly mutes = new MongoMutes(this.c);
  readonly proposals = new MongoProposals(this.c);
  readonly jobs = new MongoJobs(this.c);

  constructor(
    readonly url: string,
    readonly dbName?: string,
  ) {
    this.client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  }

  async init(onStep?: (step: SchemaStep) => void): Promise<SchemaStep[]> {
    await this.client.connect();
    this.db = this.client.db(this.dbName);
    return migrate(this.db, `${redactUrl(this.url)} (database ${this.db.databaseName})`, onStep);
  }
  async close(): Promise<void> {
    await this.client.close();
  }
  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }
  /** For tests: drops the whole database. */
  async drop(): Promise<void> {
    await this.db.dropDatabase();
  }

  async commitBatch(b: IngestBatch): Promise<void> {
    const c = this.c;
    await insertIdempotent(c("persons"), b.newPersons.map(withId));
    await insertIdempotent(c("faces"), b.newFaces.map(faceDoc));
    if (b.deletedFaceIds.length) await c("faces").deleteMany({ _id: { $in: b.deletedFaceIds } });
    // Sightings carry the person's list and kind so filters need no join.
    const meta = await this.sightings.personMeta(b.newSightings.map((s) => s.personId));
    const inserted = new Set<string>();
    for (const s of b.newSightings) {
      try {
        await c("sightings").insertOne({ ...withId(s), ...this.sightings.denorm(meta.get(s.personId ?? "")) });
        inserted.add(s.id);
      } catch (e) {
        if (!isDup(e)) throw e;
      }
    }
    // A stored sighting that changes person (a candidate promoted, a track linked) moves between counts.
    const moved = new Map<string, number>();
    for (const u of b.sightingUpdates) {
      const { id: _id, ...set } = u.set;
      if (set.personId !== undefined)
        Object.assign(
          set,
          this.sightings.denorm((await this.sightings.personMeta([set.personId])).get(set.personId ?? "")),
        );
      const before = await c("sightings").findOneAndUpdate(
        { _id: u.id },
        { $set: set },
        { projection: { personId: 1 }, returnDocument: "before" },
      );
      const from = (before?.personId as string | null | undefined) ?? null;
      if (before && set.personId !== undefined && from !== set.personId) {
        if (from) moved.set(from, (moved.get(from) ?? 0) - 1);
        if (set.personId) moved.set(set.personId, (moved.get(set.personId) ?? 0) + 1);
      }
    }
    for (const e of b.sightingEmbeddings)
      await c("sightings").updateOne(
        { _id: e.id },
        { $set: { embedding: embeddingToBinary(e.embedding), indexId: e.indexId } },
      );
    for (const p of b.personSeen) {
      // Count only sightings this attempt really inserted, so a replay does not count twice.
      const n = b.newSightings.filter((s) => s.personId === p.id && inserted.has(s.id)).length + (moved.get(p.id) ?? 0);
      await c("persons").updateOne({ _id: p.id }, { $max: { lastSeenAt: p.at }, $inc: { sightingCount: n } });
    }
    for (const [id, n] of moved)
      if (n && !b.personSeen.some((p) => p.id === id))
        await c("persons").updateOne({ _id: id }, { $inc: { sightingCount: n } });
    await insertIdempotent(c("alerts"), b.alerts.map(withId));
    await insertIdempotent(c("deliveries"), b.deliveries.map(withId));
    for (const e of b.cameraEvents) await this.cameras.events(e);
    await insertIdempotent(
      c("events"),
      b.eventIds.map((e) => ({ _id: e.eventId, sightingId: e.sightingId, receivedAt: e.receivedAt })),
    );
  }
}
