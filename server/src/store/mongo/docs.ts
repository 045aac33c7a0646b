/**
 * What every MongoDB repository shares: documents keyed by `_id` (the record's id), idempotent
 * inserts (a replayed batch lands on the same documents), keyset pages and embedding binaries.
 */
import { Binary, type Collection, type Document, MongoServerError } from "mongodb";
import type { CameraRef } from "../../domain/types.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import type { Page } from "../types.ts";

export type Doc = Document & { _id: string | number };

export type CollectionName =
  | "persons"
  | "faces"
  | "sightings"
  | "events"
  | "dead_letters"
  | "alerts"
  | "agents"
  | "integrations"
  | "cameras"
  | "tokens"
  | "users"
  | "sessions"
  | "webhooks"
  | "deliveries"
  | "meta"
  | "stream_events"
  | "counters"
  | "audit"
  | "exclusions"
  | "mutes"
  | "proposals"
  | "jobs";

/** The collections of the connected database (valid once the store's init() has connected). */
export type Collections = (name: CollectionName) => Collection<Doc>;

export function isDup(e: unknown): boolean {
  if (!(e instanceof MongoServerError)) return false;
  if (e.code === 11000) return true;
  const w = (e as { writeErrors?: Array<{ code: number }> }).writeErrors ?? [];
  return w.length > 0 && w.every((x) => x.code === 11000);
}

/** insertMany that treats "already there" as success (replays). */
export async function insertIdempotent(c: Collection<Doc>, docs: Doc[]): Promise<void> {
  if (!docs.length) return;
  try {
    await c.insertMany(docs, { ordered: false });
  } catch (e) {
    if (!isDup(e)) throw e;
  }
}

/** insertOne that answers false when the id (or another unique key) is taken. */
export async function insertNew(c: Collection<Doc>, doc: Doc): Promise<boolean> {
  try {
    await c.insertOne(doc);
    return true;
  } catch (e) {
    if (isDup(e)) return false;
    throw e;
  }
}

export function withId<T extends { id: string | number }>(v: T): Doc {
  const { id, ...rest } = v;
  return { _id: id, ...rest };
}
export function fromDoc<T>(d: Doc | null): T | undefined {
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

export async function pageOf<T>(
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

export function embeddingToBinary(e: Float32Array): Binary {
  return new Binary(Buffer.from(e.buffer, e.byteOffset, e.byteLength));
}
export function embeddingFromBinary(b: Binary): Float32Array {
  const bytes = b.buffer;
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** The `_id`s of the matching documents. */
export async function idsOf<T extends string | number>(c: Collection<Doc>, filter: Document): Promise<T[]> {
  const docs = await c.find(filter, { projection: { _id: 1 } }).toArray();
  return docs.map((d) => d._id as T);
}

/** A query for one camera: (agent, camera) for a key, the camera id at any agent for a bare id. */
export function cameraQuery(r: CameraRef): Document {
  return r.agentId === undefined ? { cameraId: r.cameraId } : { agentId: r.agentId, cameraId: r.cameraId };
}
