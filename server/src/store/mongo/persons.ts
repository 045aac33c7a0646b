import type { Binary, Document } from "mongodb";
import type { Face, FaceWithEmbedding, Person } from "../../domain/types.ts";
import type { Page, PersonBrief, PersonFilter, PersonPatch, PersonRepository } from "../types.ts";
import {
  type Collections,
  type Doc,
  embeddingFromBinary,
  embeddingToBinary,
  fromDoc,
  idsOf,
  insertIdempotent,
  pageOf,
  withId,
} from "./docs.ts";

export const faceDoc = (f: FaceWithEmbedding): Doc => ({ ...withId(f), embedding: embeddingToBinary(f.embedding) });

const toFace = (d: Doc): Face => {
  const { embedding: _e, ...f } = fromDoc<FaceWithEmbedding & { embedding: unknown }>(d)!;
  return f as Face;
};

export class MongoPersons implements PersonRepository {
  constructor(private readonly c: Collections) {}

  async insert(p: Person): Promise<void> {
    await insertIdempotent(this.c("persons"), [withId(p)]);
  }
  async get(id: string): Promise<Person | undefined> {
    return fromDoc<Person>(await this.c("persons").findOne({ _id: id }));
  }
  async list(f: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>> {
    const field = f.sort === "lastSeen" ? "lastSeenAt" : f.sort === "sightings" ? "sightingCount" : "createdAt";
    const q: Document = {};
    if (f.list === "none") q.list = null;
    else if (f.list) q.list = f.list;
    if (f.kind) q.kind = f.kind;
    if (f.q) q.name = { $regex: f.q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), $options: "i" };
    return pageOf<Person>(this.c("persons"), q, field, cursor, limit, undefined, (d) => (d[field] as number) ?? 0);
  }
  async update(id: string, patch: PersonPatch, at: number): Promise<Person | undefined> {
    const set: Document = { updatedAt: at };
    for (const k of ["name", "list", "meta", "kind", "cameraId"] as const)
      if (patch[k] !== undefined) set[k] = patch[k];
    const r = await this.c("persons").findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: "after" });
    if (!r) return undefined;
    // Sightings carry their person's list and kind (filters without a join).
    if (patch.list !== undefined || patch.kind !== undefined) {
      await this.c("sightings").updateMany(
        { personId: id },
        { $set: { personList: r.list ?? null, personKind: r.kind } },
      );
    }
    return fromDoc<Person>(r);
  }
  async delete(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined> {
    if (!(await this.c("persons").findOne({ _id: id }, { projection: { _id: 1 } }))) return undefined;
    const faceIds = await idsOf<number>(this.c("faces"), { personId: id });
    const sightingIds = await idsOf<string>(this.c("sightings"), { personId: id });
    const alertIds = await idsOf<string>(this.c("alerts"), {
      $or: [{ personId: id }, { sightingId: { $in: sightingIds } }],
    });
    await this.c("deliveries").deleteMany({ alertId: { $in: alertIds } });
    await this.c("alerts").deleteMany({ _id: { $in: alertIds } });
    await this.c("sightings").deleteMany({ personId: id });
    await this.c("faces").deleteMany({ personId: id });
    await this.c("persons").deleteOne({ _id: id });
    return { faceIds, sightingIds };
  }
  async merge(intoId: string, fromId: string, at: number): Promise<void> {
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
  async firstSeen(ids: string[]): Promise<Map<string, number>> {
    // One indexed query per person ({personId: 1, capturedAt: -1}, read backwards: one key each).
    const want = [...new Set(ids)];
    const firsts = await Promise.all(
      want.map((personId) =>
        this.c("sightings").findOne({ personId }, { sort: { capturedAt: 1 }, projection: { capturedAt: 1 } }),
      ),
    );
    const out = new Map<string, number>();
    want.forEach((id, i) => {
      const at = firsts[i]?.capturedAt;
      if (typeof at === "number") out.set(id, at);
    });
    return out;
  }
  async brief(): Promise<PersonBrief[]> {
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
  async emptyAuto(limit: number): Promise<string[]> {
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
  async maxAutoNumber(): Promise<number> {
    const d = await this.c("persons").findOne({ autoNumber: { $ne: null } }, { sort: { autoNumber: -1 } });
    return (d?.autoNumber as number) ?? 0;
  }
  async count(): Promise<number> {
    return this.c("persons").countDocuments();
  }

  // ---------------------------------------------------------------- faces

  async insertFace(f: FaceWithEmbedding): Promise<void> {
    await insertIdempotent(this.c("faces"), [faceDoc(f)]);
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
  async allFaces(): Promise<Face[]> {
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
      for (const d of docs) out.set(d._id as number, embeddingFromBinary(d.embedding as Binary));
    }
    return out;
  }
  async maxFaceId(): Promise<number> {
    const d = await this.c("faces").findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
    return (d?._id as number) ?? 0;
  }
}
