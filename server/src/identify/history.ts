/**
 * The history index: every sighting's embedding (unidentified ones included) in one HNSW graph, label =
 * the sighting's `indexId`, for search by photo over all history and for clustering. Separate from the
 * gallery (which holds a bounded set of representatives per person): this one grows with time, so it
 * keeps only what a search needs beside the graph, in typed arrays indexed by label:
 *
 *   sighting id (16 bytes, the UUID), capture time (8), camera (4, into a small table of camera keys),
 *   quality of the indexed shot (4), linked to a person or not (1); plus a map from the id's first
 *   52 bits to the label (deletes by sighting id).
 *
 * The store is the source of truth. At start the snapshot (if any) is read and the sightings indexed
 * after it are caught up from `store.sightings.indexed()`, in the background: the server does not wait
 * (a search meanwhile says how far the load is). Sightings deleted since the snapshot are dropped when a
 * search meets them (the store no longer has them); a better shot replaced since the snapshot keeps its
 * older vector until its next shot. New sightings and better shots reach the index after each ingest
 * commit (the bus's `sighting` event); person deletes and retention remove theirs.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@argus/shared";
import { type CameraRef, cameraKey } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import { HnswIndex, type HnswParams } from "./hnswIndex.ts";

export interface HistoryOptions {
  dim: number;
  hnsw: HnswParams;
  /** Feature model id + sha: a snapshot of another model is never loaded. */
  model: string;
  snapshotDir: string;
  log?: Logger;
}

/** What the index keeps of a sighting. */
export interface HistoryEntry {
  id: string;
  indexId: number;
  agentId: string;
  cameraId: string;
  capturedAt: number;
  personId: string | null;
  /** Quality of the shot whose embedding is indexed (a better shot replaces it). */
  quality?: number;
}

export interface HistoryHit {
  indexId: number;
  sightingId: string;
  similarity: number;
  capturedAt: number;
  camera: string;
  linked: boolean;
}

export interface HistoryQuery {
  k: number;
  cameras?: CameraRef[];
  /** Captured at or after. */
  from?: number;
  /** Captured before. */
  to?: number;
  /** Only sightings without a person. */
  unlinked?: boolean;
  /** Search breadth for this query (hnswlib's ef); the index's efSearch setting when absent. */
  ef?: number;
}

export interface HistoryLoad {
  phase: "pending" | "snapshot" | "catch-up" | "ready" | "failed";
  /** Sightings indexed so far, and the sightings the store has labels up to (approximate total). */
  done: number;
  total: number;
  seconds: number;
}

/** A filtered search fetches at most this many unfiltered neighbours before asking the graph to filter. */
const OVERFETCH_MAX = 2000;
/** Labels sampled to estimate how many a filter passes. */
const SHARE_SAMPLE = 4096;
/** The event loop gets a turn at least this often while the index loads. */
const LOAD_SLICE_MS = 20;
const LAYOUT = 1;

const hex = (b: Uint8Array, o: number) => {
  let s = "";
  for (let i = 0; i < 16; i++) s += b[o + i].toString(16).padStart(2, "0");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The first 52 bits of a UUID, as a number (the key of the id -> label map). */
const keyOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 15), 16);

export class HistoryIndex {
  private graph: HnswIndex;
  private cap = 0;
  private ids = new Uint8Array(0);
  private times = new Float64Array(0);
  private cams = new Int32Array(0);
  private quality = new Float32Array(0);
  private linked = new Uint8Array(0);
  private readonly camTable: string[] = [];
  private readonly camIndex = new Map<string, number>();
  /** First 52 bits of the id -> label; the rare collision goes to `overflow` by the whole id. */
  private readonly byKey = new Map<number, number>();
  private readonly overflow = new Map<string, number>();
  private changes = 0;
  private writing: Promise<unknown> | undefined;
  private progress: HistoryLoad = { phase: "pending", done: 0, total: 0, seconds: 0 };
  private loadStart = performance.now();
  /** Set by abort(): a load in progress stops (the server is stopping). */
  private aborted = false;
  /** Updates from ingestion, applied one at a time in order. */
  private queue: Promise<void> = Promise.resolve();
  /** The search breadth of queries that name none (the efSearch setting, or setEf's). */
  private ef: number;

  constructor(readonly opts: HistoryOptions) {
    this.graph = new HnswIndex(opts.dim, opts.hnsw);
    this.ef = opts.hnsw.efSearch;
  }

  get size(): number {
    return this.graph.size;
  }
  get ready(): boolean {
    return this.progress.phase === "ready";
  }
  get loading(): HistoryLoad {
    const p = this.progress;
    return p.phase === "ready" ? p : { ...p, seconds: Math.round((performance.now() - this.loadStart) / 100) / 10 };
  }
  get changesSinceSnapshot(): number {
    return this.changes;
  }
  get dirty(): boolean {
    return this.changes > 0;
  }
  /** Bytes of the metadata arrays (the graph's own memory is measured by bench/history-search.ts). */
  get metaBytes(): number {
    return (
      this.ids.byteLength +
      this.times.byteLength +
      this.cams.byteLength +
      this.quality.byteLength +
      this.linked.byteLength
    );
  }

  private grow(label: number): void {
    if (label < this.cap) return;
    let cap = Math.max(1024, this.cap);
    while (cap <= label) cap *= 2;
    const ids = new Uint8Array(cap * 16);
    ids.set(this.ids);
    const times = new Float64Array(cap);
    times.set(this.times);
    const cams = new Int32Array(cap).fill(-1);
    cams.set(this.cams);
    const quality = new Float32Array(cap);
    quality.set(this.quality);
    const linked = new Uint8Array(cap);
    linked.set(this.linked);
    Object.assign(this, { ids, times, cams, quality, linked, cap });
  }

  private camera(key: string): number {
    let i = this.camIndex.get(key);
    if (i === undefined) {
      i = this.camTable.push(key) - 1;
      this.camIndex.set(key, i);
    }
    return i;
  }

  has(indexId: number): boolean {
    return this.graph.has(indexId);
  }

  /** The label of a sighting, if indexed. */
  labelOf(sightingId: string): number | undefined {
    if (!UUID.test(sightingId)) return undefined;
    const l = this.byKey.get(keyOf(sightingId));
    if (l !== undefined && hex(this.ids, l * 16) === sightingId) return l;
    return this.overflow.get(sightingId);
  }

  sightingIdOf(label: number): string | undefined {
    return this.graph.has(label) ? hex(this.ids, label * 16) : undefined;
  }

  private setMeta(e: HistoryEntry): void {
    const l = e.indexId;
    this.grow(l);
    const id = e.id.replaceAll("-", "");
    for (let i = 0; i < 16; i++) this.ids[l * 16 + i] = Number.parseInt(id.slice(i * 2, i * 2 + 2), 16);
    this.times[l] = e.capturedAt;
    this.cams[l] = this.camera(cameraKey(e.agentId, e.cameraId));
    this.quality[l] = e.quality ?? 0;
    this.linked[l] = e.personId ? 1 : 0;
    const k = keyOf(e.id);
    const other = this.byKey.get(k);
    if (other === undefined || other === l) this.byKey.set(k, l);
    else if (hex(this.ids, other * 16) !== e.id) this.overflow.set(e.id, l);
  }

  /** Adds a sighting (ids that are not UUIDs are not indexed: every stored sighting's is). */
  add(e: HistoryEntry, vector: Float32Array): void {
    if (!UUID.test(e.id) || e.indexId <= 0) return;
    if (this.graph.has(e.indexId)) {
      this.replace(e, vector);
      return;
    }
    this.setMeta(e);
    this.graph.add(e.indexId, vector);
    this.changes++;
  }

  /** A better shot of an indexed sighting: its vector and quality change, its label stays. */
  replace(e: HistoryEntry, vector: Float32Array): void {
    if (!this.graph.has(e.indexId)) {
      this.add(e, vector);
      return;
    }
    this.setMeta(e);
    this.graph.replace(e.indexId, vector);
    this.changes++;
  }

  /** Whether the sighting is linked to a person (moves, merges). */
  setLinked(sightingId: string, linked: boolean): void {
    const l = this.labelOf(sightingId);
    if (l !== undefined) this.linked[l] = linked ? 1 : 0;
  }

  isLinked(label: number): boolean {
    return this.linked[label] === 1;
  }

  removeLabel(label: number): void {
    if (!this.graph.remove(label)) return;
    const id = hex(this.ids, label * 16);
    const k = keyOf(id);
    if (this.byKey.get(k) === label) this.byKey.delete(k);
    this.overflow.delete(id);
    this.changes++;
  }

  removeSightings(ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) {
      const l = this.labelOf(id);
      if (l !== undefined) {
        this.removeLabel(l);
        n++;
      }
    }
    return n;
  }

  /** The stored vector of a label (clustering). */
  vector(label: number): Float32Array | undefined {
    return this.graph.vector(label);
  }

  /** Every live label (clustering walks them). */
  labels(): number[] {
    return [...this.graph.labels()];
  }

  /** The search breadth (hnswlib's ef): more finds more of the true neighbours, slower. */
  setEf(ef: number): void {
    this.ef = ef;
    this.graph.setEf(ef);
  }

  /** Nearest sightings, most similar first, within the filters. */
  search(vector: Float32Array, q: HistoryQuery): HistoryHit[] {
    if (q.ef === undefined || q.ef === this.ef) return this.searchAt(vector, q);
    this.graph.setEf(q.ef);
    try {
      return this.searchAt(vector, q);
    } finally {
      this.graph.setEf(this.ef);
    }
  }

  private searchAt(vector: Float32Array, q: HistoryQuery): HistoryHit[] {
    let camSet: Set<number> | undefined;
    if (q.cameras?.length) {
      camSet = new Set();
      for (const [i, key] of this.camTable.entries()) {
        const slash = key.indexOf("/");
        const agent = key.slice(0, slash);
        const cam = key.slice(slash + 1);
        if (q.cameras.some((r) => r.cameraId === cam && (r.agentId === undefined || r.agentId === agent)))
          camSet.add(i);
      }
      if (!camSet.size) return [];
    }
    const { from, to, unlinked } = q;
    const filtered = camSet || from !== undefined || to !== undefined || unlinked;
    const filter = filtered
      ? (l: number) =>
          (!camSet || camSet.has(this.cams[l])) &&
          (from === undefined || this.times[l] >= from) &&
          (to === undefined || this.times[l] < to) &&
          (!unlinked || this.linked[l] === 0)
      : undefined;
    if (!filter) return this.hits(this.graph.search(vector, q.k));
    // A filter: hnswlib calls it (across N-API) for every node it visits, slow when few pass. When a
    // sample says enough pass, an unfiltered search for more (k / share of passing, capped) filtered
    // here is cheaper; the filtered graph search remains for rare matches.
    const share = this.passShare(filter);
    if (share > 0) {
      const want = Math.ceil((q.k / share) * 1.5) + q.k;
      if (want <= OVERFETCH_MAX) {
        const kept = this.graph.search(vector, want).filter((n) => filter(n.label));
        if (kept.length >= q.k || want >= this.graph.size) return this.hits(kept.slice(0, q.k));
      }
    }
    return this.hits(this.graph.search(vector, q.k, filter));
  }

  /** The share of live labels a filter passes, from an even sample of the label range. */
  private passShare(filter: (l: number) => boolean): number {
    const step = Math.max(1, Math.floor(this.cap / SHARE_SAMPLE));
    let live = 0;
    let pass = 0;
    for (let l = 0; l < this.cap; l += step)
      if (this.graph.has(l)) {
        live++;
        if (filter(l)) pass++;
      }
    return live ? pass / live : 0;
  }

  private hits(ns: Array<{ label: number; similarity: number }>): HistoryHit[] {
    return ns.map((n) => ({
      indexId: n.label,
      sightingId: hex(this.ids, n.label * 16),
      similarity: n.similarity,
      capturedAt: this.times[n.label],
      camera: this.camTable[this.cams[n.label]] ?? "",
      linked: this.linked[n.label] === 1,
    }));
  }

  /** Ingestion's committed sightings: new ones and better shots (their embedding is read from the store). */
  onSighting(store: Store, s: HistoryEntry & { quality: number }, isNew: boolean): void {
    if (s.indexId === null || s.indexId === undefined) return;
    const l = s.indexId;
    const known = this.graph.has(l);
    if (known && !isNew && s.quality <= this.quality[l]) {
      this.linked[l] = s.personId ? 1 : 0;
      return;
    }
    this.queue = this.queue
      .then(async () => {
        const v = (await store.sightings.embeddings([s.id])).get(s.id);
        if (v) this.add(s, v);
      })
      .catch((e) => this.opts.log?.warn({ err: (e as Error).message }, "history index: a sighting was not indexed"));
  }

  /** Resolves once the updates queued so far are applied (tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  // ------------------------------------------------------------------ persistence

  private manifestPath(): string {
    return join(this.opts.snapshotDir, "manifest.json");
  }

  /**
   * Reads the snapshot, then indexes the sightings the store labelled after it, a slice at a time
   * (the event loop is never held for more than LOAD_SLICE_MS). Meant to run in the background.
   */
  async load(
    store: Store,
    opts: { ignoreSnapshot?: boolean; chunk?: number } = {},
  ): Promise<{ fromSnapshot: number; added: number }> {
    this.loadStart = performance.now();
    const total = await store.sightings.maxIndexId();
    this.progress = { phase: "snapshot", done: 0, total, seconds: 0 };
    let fromSnapshot = 0;
    try {
      if (!opts.ignoreSnapshot) fromSnapshot = await this.readSnapshot();
    } catch (e) {
      this.opts.log?.warn(
        { err: (e as Error).message },
        "history index snapshot unreadable; rebuilding from the database",
      );
      this.reset();
    }
    let after = 0;
    for (const l of this.graph.labels()) if (l > after) after = l;
    this.progress = { phase: "catch-up", done: this.graph.size, total, seconds: 0 };
    let added = 0;
    let slice = performance.now();
    const chunk = opts.chunk ?? 1000;
    for (;;) {
      const rows = await store.sightings.indexed(after, chunk);
      if (!rows.length || this.aborted) break;
      for (const r of rows) {
        if (!this.graph.has(r.indexId)) {
          this.add(r, r.embedding);
          added++;
        }
        after = r.indexId;
        if (performance.now() - slice >= LOAD_SLICE_MS) {
          this.progress = { phase: "catch-up", done: this.graph.size, total: Math.max(total, after), seconds: 0 };
          await new Promise((res) => setImmediate(res));
          slice = performance.now();
        }
      }
    }
    this.changes = added;
    if (this.aborted) return { fromSnapshot, added };
    this.progress = {
      phase: "ready",
      done: this.graph.size,
      total: this.graph.size,
      seconds: Math.round((performance.now() - this.loadStart) / 100) / 10,
    };
    return { fromSnapshot, added };
  }

  /** Stops a load in progress (the index stays not ready: a partial index is never snapshotted). */
  abort(): void {
    this.aborted = true;
  }

  failed(): void {
    this.progress = { ...this.progress, phase: "failed" };
  }

  private reset(): void {
    this.graph = new HnswIndex(this.opts.dim, this.opts.hnsw);
    this.graph.setEf(this.ef);
    this.cap = 0;
    this.ids = new Uint8Array(0);
    this.times = new Float64Array(0);
    this.cams = new Int32Array(0);
    this.quality = new Float32Array(0);
    this.linked = new Uint8Array(0);
    this.camTable.length = 0;
    this.camIndex.clear();
    this.byKey.clear();
    this.overflow.clear();
  }

  private async readSnapshot(): Promise<number> {
    if (!existsSync(this.manifestPath())) return 0;
    const m = JSON.parse(readFileSync(this.manifestPath(), "utf8"));
    const o = this.opts;
    if (m.layout !== LAYOUT || m.model !== o.model || m.dim !== o.dim || m.m !== o.hnsw.m) return 0;
    const graph = await HnswIndex.loadAsync(join(o.snapshotDir, m.graph), o.dim, o.hnsw, m.snapshotId);
    if (!graph) return 0;
    const buf = await readFile(join(o.snapshotDir, m.meta));
    const cap = m.cap as number;
    let at = 0;
    const take = (bytes: number) => {
      const out = buf.subarray(at, at + bytes);
      at += bytes;
      return new Uint8Array(out); // a copy, aligned
    };
    this.ids = take(cap * 16);
    this.times = new Float64Array(take(cap * 8).buffer);
    this.cams = new Int32Array(take(cap * 4).buffer);
    this.quality = new Float32Array(take(cap * 4).buffer);
    this.linked = take(cap);
    this.cap = cap;
    for (const key of m.cameras as string[]) this.camera(key);
    this.graph = graph;
    graph.setEf(this.ef);
    for (const l of graph.labels()) {
      const id = hex(this.ids, l * 16);
      const k = keyOf(id);
      if (this.byKey.has(k)) this.overflow.set(id, l);
      else this.byKey.set(k, l);
    }
    return graph.size;
  }

  /** Writes the graph (in the thread pool, the graph frozen meanwhile) and the metadata, then the manifest. */
  async snapshot(): Promise<{ sightings: number; ms: number }> {
    while (this.writing) await this.writing.catch(() => {});
    const run = this.writeSnapshot();
    this.writing = run;
    try {
      return await run;
    } finally {
      this.writing = undefined;
    }
  }

  private async writeSnapshot(): Promise<{ sightings: number; ms: number }> {
    const t0 = performance.now();
    const dir = this.opts.snapshotDir;
    mkdirSync(dir, { recursive: true });
    const snapshotId = randomUUID();
    const counted = this.changes;
    const cap = this.cap;
    // The metadata as of now (the graph is frozen from here until its write ends).
    const meta = Buffer.concat([
      Buffer.from(this.ids.buffer, this.ids.byteOffset, cap * 16),
      Buffer.from(this.times.buffer, this.times.byteOffset, cap * 8),
      Buffer.from(this.cams.buffer, this.cams.byteOffset, cap * 4),
      Buffer.from(this.quality.buffer, this.quality.byteOffset, cap * 4),
      Buffer.from(this.linked.buffer, this.linked.byteOffset, cap),
    ]);
    const cameras = [...this.camTable];
    const graphFile = `history.${snapshotId}.hnsw`;
    const metaFile = `history.${snapshotId}.meta`;
    const sightings = this.graph.size;
    await this.graph.saveAsync(join(dir, graphFile), snapshotId);
    await writeFile(join(dir, metaFile), meta);
    const o = this.opts;
    await writeFile(
      `${this.manifestPath()}.tmp`,
      JSON.stringify({
        layout: LAYOUT,
        snapshotId,
        model: o.model,
        dim: o.dim,
        m: o.hnsw.m,
        cap,
        cameras,
        graph: graphFile,
        meta: metaFile,
      }),
    );
    await rename(`${this.manifestPath()}.tmp`, this.manifestPath());
    const keep = new Set([graphFile, `${graphFile}.labels.json`, metaFile, "manifest.json"]);
    for (const f of readdirSync(dir)) if (!keep.has(f)) await rm(join(dir, f), { force: true });
    this.changes = Math.max(0, this.changes - counted);
    return { sightings, ms: Math.round(performance.now() - t0) };
  }
}
