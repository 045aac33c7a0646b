import type { Document } from "mongodb";
import type { Alert, Mute } from "../../domain/types.ts";
import type { AlertFilter, AlertRepository, MuteRepository, Page } from "../types.ts";
import { type Collections, cameraQuery, type Doc, fromDoc, pageOf, withId } from "./docs.ts";

/** Fields added after the first release read as null where a document lacks them. */
function toAlert(d: Doc | null): Alert | undefined {
  const a = fromDoc<Alert>(d);
  return a && { ...a, grade: a.grade ?? null, ackNote: a.ackNote ?? null, mutedBy: a.mutedBy ?? null };
}

export class MongoAlerts implements AlertRepository {
  constructor(private readonly c: Collections) {}

  async get(id: string): Promise<Alert | undefined> {
    return toAlert(await this.c("alerts").findOne({ _id: id }));
  }
  async list(f: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>> {
    const q: Document = {};
    if (f.type) q.type = f.type;
    if (f.acked === true) q.ackedAt = { $ne: null };
    if (f.acked === false) q.ackedAt = null;
    if (f.muted === true) q.mutedBy = { $ne: null };
    if (f.muted === false) q.mutedBy = null; // null matches a missing field too
    if (f.personId) q.personId = f.personId;
    if (f.camera) Object.assign(q, cameraQuery(f.camera));
    return pageOf<Alert>(this.c("alerts"), q, "createdAt", cursor, limit, (d) => toAlert(d)!);
  }
  async ack(id: string, by: string, at: number, note: string | null = null): Promise<Alert | undefined> {
    await this.c("alerts").updateOne({ _id: id, ackedAt: null }, { $set: { ackedAt: at, ackedBy: by, ackNote: note } });
    return this.get(id);
  }
  async ackMany(ids: readonly string[], by: string, at: number, note: string | null): Promise<Alert[]> {
    if (!ids.length) return [];
    await this.c("alerts").updateMany(
      { _id: { $in: [...ids] }, ackedAt: null },
      { $set: { ackedAt: at, ackedBy: by, ackNote: note } },
    );
    const docs = await this.c("alerts")
      .find({ _id: { $in: [...ids] } })
      .toArray();
    const byId = new Map(docs.map((d) => [String(d._id), toAlert(d)!]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}

export class MongoMutes implements MuteRepository {
  constructor(private readonly c: Collections) {}

  async insert(m: Mute): Promise<void> {
    await this.c("mutes").insertOne(withId(m));
  }
  async get(id: string): Promise<Mute | undefined> {
    return fromDoc<Mute>(await this.c("mutes").findOne({ _id: id }));
  }
  async list(now?: number): Promise<Mute[]> {
    const q = now === undefined ? {} : { until: { $gt: now } };
    const docs = await this.c("mutes").find(q).sort({ until: 1, _id: 1 }).toArray();
    return docs.map((d) => fromDoc<Mute>(d)!);
  }
  async delete(id: string): Promise<boolean> {
    return (await this.c("mutes").deleteOne({ _id: id })).deletedCount > 0;
  }
  async deleteEnded(before: number): Promise<number> {
    return (await this.c("mutes").deleteMany({ until: { $lt: before } })).deletedCount;
  }
  async retargetPerson(fromId: string, intoId: string): Promise<Mute[]> {
    await this.c("mutes").updateMany({ targetKind: "person", targetId: fromId }, { $set: { targetId: intoId } });
    const docs = await this.c("mutes")
      .find({ targetKind: "person", targetId: intoId })
      .sort({ until: 1, _id: 1 })
      .toArray();
    return docs.map((d) => fromDoc<Mute>(d)!);
  }
}
