/** The identity work's records in MongoDB: the audit log, "not X" exclusions, clustering proposals, jobs. */
import type { Document } from "mongodb";
import type { AuditEntry, Exclusion, Job, Proposal } from "../../domain/types.ts";
import type {
  AuditFilter,
  AuditRepository,
  ExclusionRepository,
  JobRepository,
  Page,
  ProposalFilter,
  ProposalRepository,
} from "../types.ts";
import { type Collections, type Doc, fromDoc, insertIdempotent, pageOf, withId } from "./docs.ts";

export class MongoAudit implements AuditRepository {
  constructor(private readonly c: Collections) {}

  async append(e: Omit<AuditEntry, "id">): Promise<number> {
    // Ids from a counter document: increasing, never reused (as the stream journal's).
    const counter = await this.c("counters").findOneAndUpdate(
      { _id: "audit" },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: "after" },
    );
    const id = Number(counter?.seq);
    await this.c("audit").insertOne({ _id: id, ...e });
    return id;
  }
  async list(f: AuditFilter, cursor: string | undefined, limit: number): Promise<Page<AuditEntry>> {
    const q: Document = {};
    if (f.action !== undefined) q.action = f.action;
    if (f.targetType !== undefined) q.targetType = f.targetType;
    if (f.targetId !== undefined) q.targetId = f.targetId;
    if (f.actor !== undefined) q["actor.name"] = f.actor;
    if (f.from !== undefined || f.to !== undefined) {
      q.at = {};
      if (f.from !== undefined) q.at.$gte = f.from;
      if (f.to !== undefined) q.at.$lt = f.to;
    }
    return pageOf(
      this.c("audit"),
      q,
      "_id",
      cursor,
      limit,
      (d) => fromDoc<AuditEntry>(d)!,
      (d) => Number(d._id),
    );
  }
  async deleteBefore(before: number): Promise<number> {
    return (await this.c("audit").deleteMany({ at: { $lt: before } })).deletedCount;
  }
}

const exclusionId = (trackKey: string, personId: string) => `${trackKey}|${personId}`;

export class MongoExclusions implements ExclusionRepository {
  constructor(private readonly c: Collections) {}

  async add(e: Exclusion): Promise<void> {
    await insertIdempotent(this.c("exclusions"), [{ _id: exclusionId(e.trackKey, e.personId), ...e }]);
  }
  async personsFor(trackKey: string): Promise<string[]> {
    return (await this.c("exclusions").find({ trackKey }).toArray()).map((d) => String(d.personId));
  }
  async listForPerson(personId: string): Promise<Exclusion[]> {
    const docs = await this.c("exclusions").find({ personId }).sort({ createdAt: 1 }).toArray();
    return docs.map(({ _id, ...e }) => e as unknown as Exclusion);
  }
  async movePerson(fromId: string, intoId: string | null): Promise<void> {
    const docs = await this.c("exclusions").find({ personId: fromId }).toArray();
    if (intoId)
      await insertIdempotent(
        this.c("exclusions"),
        docs.map(({ _id, ...e }) => ({ ...e, _id: exclusionId(String(e.trackKey), intoId), personId: intoId })),
      );
    await this.c("exclusions").deleteMany({ personId: fromId });
  }
}

export class MongoProposals implements ProposalRepository {
  constructor(private readonly c: Collections) {}

  async offer(ps: Proposal[]): Promise<number> {
    let n = 0;
    for (const p of ps) {
      // One per (kind, a, b): the pair's own _id makes a decided pair impossible to offer again.
      const r = await this.c("proposals").updateOne(
        { _id: `${p.kind}|${p.a}|${p.b}` },
        { $setOnInsert: { ...p, pid: p.id } },
        { upsert: true },
      );
      n += r.upsertedCount;
    }
    return n;
  }
  private toProposal = (d: Doc): Proposal => {
    const { _id, pid, ...rest } = d;
    return { ...(rest as Omit<Proposal, "id">), id: String(pid) };
  };
  async get(id: string): Promise<Proposal | undefined> {
    const d = await this.c("proposals").findOne({ pid: id });
    return d ? this.toProposal(d) : undefined;
  }
  async list(f: ProposalFilter, cursor: string | undefined, limit: number): Promise<Page<Proposal>> {
    const q: Document = {};
    if (f.status) q.status = f.status;
    if (f.kind) q.kind = f.kind;
    return pageOf(this.c("proposals"), q, "score", cursor, limit, this.toProposal);
  }
  async decide(id: string, status: "accepted" | "rejected", by: string, at: number): Promise<Proposal | undefined> {
    await this.c("proposals").updateOne(
      { pid: id, status: "open" },
      { $set: { status, decidedAt: at, decidedBy: by } },
    );
    return this.get(id);
  }
  async dropOpenNaming(id: string): Promise<number> {
    return (await this.c("proposals").deleteMany({ status: "open", $or: [{ a: id }, { b: id }] })).deletedCount;
  }
}

export class MongoJobs implements JobRepository {
  constructor(private readonly c: Collections) {}

  async insert(j: Job): Promise<void> {
    await this.c("jobs").insertOne(withId(j));
  }
  async update(id: string, patch: Partial<Omit<Job, "id" | "kind" | "createdAt">>): Promise<Job | undefined> {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length) await this.c("jobs").updateOne({ _id: id }, { $set: set });
    return this.get(id);
  }
  async get(id: string): Promise<Job | undefined> {
    return fromDoc<Job>(await this.c("jobs").findOne({ _id: id }));
  }
  async list(limit: number): Promise<Job[]> {
    const docs = await this.c("jobs").find().sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
    return docs.map((d) => fromDoc<Job>(d)!);
  }
}
