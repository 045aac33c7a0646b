/**
 * Sightings carry their person's list and kind (`personList`, `personKind`) so the list and kind
 * filters need no join; persons.update and merge keep them current.
 */
import type { Binary, Document } from "mongodb";
import { type CameraKey, cameraKey, type Sighting } from "../../domain/types.ts";
import type { IndexedSighting, Page, SightingFilter, SightingRepository } from "../types.ts";
import { type Collections, cameraQuery, type Doc, embeddingFromBinary, fromDoc, idsOf, pageOf } from "./docs.ts";

type PersonMeta = { list: string | null; kind: string };

export class MongoSightings implements SightingRepository {
  constructor(private readonly c: Collections) {}

  /** List and kind of these persons, for the denormalized fields. */
  async personMeta(ids: Array<string | null>): Promise<Map<string, PersonMeta>> {
    const want = [...new Set(ids.filter((x): x is string => !!x))];
    const out = new Map<string, PersonMeta>();
    if (!want.length) return out;
    for (const d of await this.c("persons")
      .find({ _id: { $in: want } }, { projection: { list: 1, kind: 1 } })
      .toArray()) {
      out.set(d._id as string, { list: (d.list as string) ?? null, kind: d.kind as string });
    }
    return out;
  }
  denorm(m: PersonMeta | undefined): { personList: string | null; personKind: string | null } {
    return { personList: m?.list ?? null, personKind: m?.kind ?? null };
  }

  private toSighting(d: Doc): Sighting {
    const {
      personList: _l,
      personKind: _k,
      embedding: _e,
      ...rest
    } = fromDoc<Sighting & { personList: unknown; personKind: unknown; embedding: unknown }>(d)!;
    return {
      ...rest,
      clockSkewed: rest.clockSkewed ?? false,
      grade: rest.grade ?? null,
      unlinkedReason: rest.unlinkedReason ?? null,
      indexId: rest.indexId ?? null,
      contextBox: rest.contextBox ?? null,
    } as Sighting;
  }

  async embeddings(ids: string[]): Promise<Map<string, Float32Array>> {
    const docs = await this.c("sightings")
      .find({ _id: { $in: ids }, embedding: { $ne: null } }, { projection: { embedding: 1 } })
      .toArray();
    return new Map(docs.map((d) => [String(d._id), embeddingFromBinary(d.embedding as Binary)]));
  }
  async indexed(afterIndexId: number, limit: number): Promise<IndexedSighting[]> {
    const docs = await this.c("sightings")
      .find(
        { indexId: { $gt: afterIndexId }, embedding: { $ne: null } },
        { projection: { indexId: 1, embedding: 1, personId: 1, agentId: 1, cameraId: 1, capturedAt: 1 } },
      )
      .sort({ indexId: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => ({
      id: String(d._id),
      indexId: Number(d.indexId),
      embedding: embeddingFromBinary(d.embedding as Binary),
      personId: (d.personId as string) ?? null,
      agentId: String(d.agentId),
      cameraId: String(d.cameraId),
      capturedAt: Number(d.capturedAt),
    }));
  }
  async maxIndexId(): Promise<number> {
    const [d] = await this.c("sightings")
      .find({ indexId: { $ne: null } }, { projection: { indexId: 1 } })
      .sort({ indexId: -1 })
      .limit(1)
      .toArray();
    return Number(d?.indexId ?? 0);
  }

  async get(id: string): Promise<Sighting | undefined> {
    const d = await this.c("sightings").findOne({ _id: id });
    return d ? this.toSighting(d) : undefined;
  }
  async list(f: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>> {
    return pageOf(this.c("sightings"), this.query(f), "capturedAt", cursor, limit, (d) => this.toSighting(d));
  }
  async countUpTo(f: SightingFilter, max: number): Promise<number> {
    return this.c("sightings").countDocuments(this.query(f), { limit: max });
  }
  private query(f: SightingFilter): Document {
    const q: Document = {};
    if (f.personId) q.personId = f.personId;
    if (f.cameras?.length) q.$or = f.cameras.map(cameraQuery);
    if (f.from !== undefined || f.to !== undefined) {
      q.capturedAt = {};
      if (f.from !== undefined) q.capturedAt.$gte = f.from;
      if (f.to !== undefined) q.capturedAt.$lt = f.to;
    }
    if (f.grade) q.grade = f.grade;
    if (f.list === "none") q.personList = null;
    else if (f.list) q.personList = f.list;
    // Sightings of no person (a person id asked for as well: none).
    if (f.kind === "unidentified") q.personId = f.personId ? { $in: [] } : null;
    else if (f.kind) q.personKind = f.kind;
    return q;
  }
  async findTrack(agentId: string, cameraId: string, trackId: string, since: number): Promise<Sighting | undefined> {
    const d = await this.c("sightings").findOne(
      { agentId, cameraId, trackId, lastSeenAt: { $gte: since } },
      { sort: { lastSeenAt: -1 } },
    );
    return d ? this.toSighting(d) : undefined;
  }
  async knownEventIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    return new Set(await idsOf<string>(this.c("events"), { _id: { $in: ids } }));
  }
  async deleteEventIdsBefore(before: number): Promise<number> {
    return (await this.c("events").deleteMany({ receivedAt: { $lt: before } })).deletedCount;
  }
  async distinctDays(personId: string, agentId: string, cameraId: string, sinceDay: number): Promise<number[]> {
    const days = (await this.c("sightings").distinct("day", {
      personId,
      agentId,
      cameraId,
      day: { $gte: sinceDay },
    })) as number[];
    return days.sort((a, b) => a - b);
  }
  async regularCameras(personId: string, sinceDay: number, minDays: number): Promise<CameraKey[]> {
    const rows = await this.c("sightings")
      .aggregate<{ _id: { a: string; c: string }; days: number[] }>([
        { $match: { personId, day: { $gte: sinceDay } } },
        { $group: { _id: { a: "$agentId", c: "$cameraId" }, days: { $addToSet: "$day" } } },
      ])
      .toArray();
    return rows
      .filter((r) => r.days.length >= minDays)
      .map((r) => cameraKey(r._id.a, r._id.c))
      .sort();
  }
  async reassign(
    ids: string[],
    personId: string | null,
    at: number,
    unlinkedReason: string | null,
  ): Promise<{ before: Sighting[]; deletedFaceIds: number[] }> {
    const docs = await this.c("sightings")
      .find({ _id: { $in: ids } }, { projection: { embedding: 0 } })
      .toArray();
    const before = docs.map((d) => this.toSighting(d));
    const meta = (await this.personMeta([personId])).get(personId ?? "");
    const touched = new Set<string>(personId ? [personId] : []);
    const deletedFaceIds: number[] = [];
    for (const s of before) {
      if (!s.personId) continue;
      touched.add(s.personId);
      deletedFaceIds.push(...(await idsOf<number>(this.c("faces"), { sightingId: s.id, personId: s.personId })));
    }
    const found = before.map((s) => s.id);
    await this.c("sightings").updateMany(
      { _id: { $in: found } },
      {
        $set: {
          personId,
          similarity: null,
          grade: null,
          verdict: meta?.list ?? "none",
          unlinkedReason: personId ? null : unlinkedReason,
          ...this.denorm(meta),
        },
      },
    );
    await this.c("alerts").updateMany({ sightingId: { $in: found } }, { $set: { personId } });
    if (deletedFaceIds.length) await this.c("faces").deleteMany({ _id: { $in: deletedFaceIds } });
    for (const pid of touched) {
      const count = await this.c("sightings").countDocuments({ personId: pid });
      const last = await this.c("sightings").findOne({ personId: pid }, { sort: { lastSeenAt: -1 } });
      await this.c("persons").updateOne(
        { _id: pid },
        { $set: { sightingCount: count, lastSeenAt: (last?.lastSeenAt as number) ?? null, updatedAt: at } },
      );
    }
    return { before, deletedFaceIds };
  }

  async deleteBefore(before: number, keepListed: boolean, limit: number): Promise<string[]> {
    const q: Document = { lastSeenAt: { $lt: before } };
    if (keepListed) q.personList = null;
    const docs = await this.c("sightings")
      .find(q, { projection: { _id: 1, personId: 1 } })
      .limit(limit)
      .toArray();
    const ids = docs.map((d) => d._id as string);
    if (!ids.length) return [];
    const alertIds = await idsOf<string>(this.c("alerts"), { sightingId: { $in: ids } });
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
  async count(): Promise<number> {
    return this.c("sightings").countDocuments();
  }
}
