/**
 * The embedded store: SQLite through better-sqlite3 (WAL, one file in the data directory). Calls are
 * synchronous and fast; the async interface keeps it interchangeable with MongoDB. One repository
 * per aggregate (persons.ts, ...), all on one connection; the row mappings are in tables.ts and the
 * schema history in migrations.ts.
 */
import Database from "better-sqlite3";
import type { IngestBatch, SchemaStep, Store } from "../types.ts";
import { SqliteAccounts } from "./accounts.ts";
import { SqliteAlerts, SqliteMutes } from "./alerts.ts";
import { Sql } from "./db.ts";
import { SqliteDeadLetters } from "./deadLetters.ts";
import { SqliteAgents, SqliteCameras } from "./devices.ts";
import { SqliteAudit, SqliteExclusions, SqliteJobs, SqliteProposals } from "./identities.ts";
import { SqliteIntegrations } from "./integrations.ts";
import { SqliteMeta } from "./meta.ts";
import { migrate } from "./migrations.ts";
import { SqlitePersons } from "./persons.ts";
import { SqliteSightings } from "./sightings.ts";
import { SqliteStreamJournal } from "./streamJournal.ts";
import { SqliteWebhooks } from "./webhooks.ts";

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly db: Database.Database;
  private readonly sql: Sql;
  readonly persons: SqlitePersons;
  readonly sightings: SqliteSightings;
  readonly alerts: SqliteAlerts;
  readonly agents: SqliteAgents;
  readonly cameras: SqliteCameras;
  readonly integrations: SqliteIntegrations;
  readonly accounts: SqliteAccounts;
  readonly webhooks: SqliteWebhooks;
  readonly deadLetters: SqliteDeadLetters;
  readonly meta: SqliteMeta;
  readonly streamJournal: SqliteStreamJournal;
  readonly audit: SqliteAudit;
  readonly exclusions: SqliteExclusions;
  readonly mutes: SqliteMutes;
  readonly proposals: SqliteProposals;
  readonly jobs: SqliteJobs;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last commits.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = OFF");
    const sql = (this.sql = new Sql(this.db));
    this.persons = new SqlitePersons(sql);
    this.sightings = new SqliteSightings(sql);
    this.alerts = new SqliteAlerts(sql);
    this.agents = new SqliteAgents(sql);
    this.cameras = new SqliteCameras(sql);
    this.integrations = new SqliteIntegrations(sql);
    this.accounts = new SqliteAccounts(sql);
    this.webhooks = new SqliteWebhooks(sql);
    this.deadLetters = new SqliteDeadLetters(sql);
    this.meta = new SqliteMeta(sql);
    this.streamJournal = new SqliteStreamJournal(sql);
    this.audit = new SqliteAudit(sql);
    this.exclusions = new SqliteExclusions(sql);
    this.mutes = new SqliteMutes(sql);
    this.proposals = new SqliteProposals(sql);
    this.jobs = new SqliteJobs(sql);
  }

  async init(onStep?: (step: SchemaStep) => void): Promise<SchemaStep[]> {
    return migrate(this.db, this.file, onStep);
  }
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
  async ping(): Promise<void> {
    this.sql.value("SELECT 1");
  }

  /** One transaction: all of the batch or none of it. */
  async commitBatch(b: IngestBatch): Promise<void> {
    this.sql.tx(() => {
      for (const p of b.newPersons) this.persons.insertSync(p);
      for (const f of b.newFaces) this.persons.insertFaceSync(f);
      if (b.deletedFaceIds.length) this.persons.deleteFacesSync(b.deletedFaceIds);
      // Count only sightings really inserted, so a replayed batch does not count twice.
      const added = new Map<string, number>();
      for (const s of b.newSightings) {
        if (this.sightings.insertSync(s) && s.personId) added.set(s.personId, (added.get(s.personId) ?? 0) + 1);
      }
      // A stored sighting that changes person (a candidate promoted, a track linked) moves between counts.
      const moved = new Map<string, number>();
      for (const u of b.sightingUpdates) {
        const m = this.sightings.updateSync(u.id, u.set);
        if (!m) continue;
        if (m.from) moved.set(m.from, (moved.get(m.from) ?? 0) - 1);
        if (u.set.personId) moved.set(u.set.personId, (moved.get(u.set.personId) ?? 0) + 1);
      }
      for (const e of b.sightingEmbeddings) this.sightings.embeddingSync(e);
      for (const p of b.personSeen) this.persons.seenSync(p.id, p.at, (added.get(p.id) ?? 0) + (moved.get(p.id) ?? 0));
      for (const [id, n] of moved) if (n && !b.personSeen.some((p) => p.id === id)) this.persons.countSync(id, n);
      for (const a of b.alerts) this.alerts.insertSync(a);
      for (const d of b.deliveries) this.webhooks.insertDeliverySync(d);
      for (const c of b.cameraEvents) this.cameras.eventsSync(c);
      for (const e of b.eventIds) this.sightings.eventSync(e);
    });
  }
}
