/**
 * One HNSW graph (hnswlib-node, inner product) over L2-normalized embeddings, labelled by face id.
 * Similarity = 1 - distance = cosine. Capacity doubles when full of live faces; deleted slots are
 * reused once the graph is full (allowReplaceDeleted), so it grows with live faces, not with churn.
 * Not sooner: filling a deleted slot repairs its old neighbours' links and costs ~4x a fresh insert.
 *
 * Snapshots are written off the event loop (hnswlib's writeIndex runs in the libuv thread pool) while
 * the graph is frozen: faces added meanwhile are searched exactly from a side list, faces removed are
 * filtered out, and both reach the graph after the write, a slice at a time; ingestion never waits
 * for the disk.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import hnswlib from "hnswlib-node";

export interface HnswParams {
  /** Graph degree: memory and recall go up with it. */
  m: number;
  efConstruction: number;
  /** Search breadth: recall and latency go up with it. */
  efSearch: number;
  initialCapacity: number;
}

export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 200, efSearch: 128, initialCapacity: 1024 };

export interface Neighbor {
  label: number;
  similarity: number;
}

interface Sidecar {
  snapshotId: string;
  live: number[];
  deleted: number;
}

/** While a snapshot is written and until the graph has caught up after it. */
interface Pending {
  /** Live faces not in the graph yet (searched exactly). */
  added: Map<number, Float32Array>;
  /** Faces in the graph that are no longer live (filtered out of its results). */
  removed: Set<number>;
  /** Labels in `removed` and `added` at once: a new vector for a label the graph has (replace()). */
  replaced: Set<number>;
}

/** During the catch-up after a write, the event loop gets a turn this often. */
const DRAIN_SLICE_MS = 20;

export class HnswIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  /** Live labels (the library keeps deleted ones in getIdsList until their slot is reused). */
  private readonly live = new Set<number>();
  private deletedSlots = 0;
  /** Labels searchable in the graph itself (live.size differs while changes are pending). */
  private inGraph = 0;
  private pending: Pending | undefined;
  /** A snapshot write is running: the graph must not change (changes go to `pending`). */
  private frozen = false;

  constructor(
    readonly dim: number,
    readonly params: HnswParams = DEFAULT_HNSW,
    from?: { index: hnswlib.HierarchicalNSW; side: Sidecar },
  ) {
    if (from) {
      const { index, side } = from;
      this.index = index;
      for (const l of side.live) this.live.add(l);
      this.inGraph = this.live.size;
      this.deletedSlots = side.deleted;
    } else {
      this.index = new hnswlib.HierarchicalNSW("ip", dim);
      this.index.initIndex(params.initialCapacity, params.m, params.efConstruction, 100, true);
    }
    this.index.setEf(params.efSearch);
  }

  /** Loads a snapshot written by save() with the same snapshot id, or undefined if absent or stale. */
  static load(file: string, dim: number, params: HnswParams, snapshotId: string): HnswIndex | undefined {
    if (!existsSync(file) || !existsSync(`${file}.labels.json`)) return undefined;
    const side = JSON.parse(readFileSync(`${file}.labels.json`, "utf8")) as Sidecar;
    if (side.snapshotId !== snapshotId) return undefined;
    const index = new hnswlib.HierarchicalNSW("ip", dim);
    index.readIndexSync(file, true);
    return new HnswIndex(dim, params, { index, side });
  }

  /**
   * load() with the graph read in the thread pool: the event loop stays free (100k faces are ~220 MB).
   * The read has started when this returns (the caller can do other work meanwhile).
   */
  static loadAsync(file: string, dim: number, params: HnswParams, snapshotId: string): Promise<HnswIndex | undefined> {
    if (!existsSync(file) || !existsSync(`${file}.labels.json`)) return Promise.resolve(undefined);
    const side = JSON.parse(readFileSync(`${file}.labels.json`, "utf8")) as Sidecar;
    if (side.snapshotId !== snapshotId) return Promise.resolve(undefined);
    const index = new hnswlib.HierarchicalNSW("ip", dim);
    return index.readIndex(file, true).then(() => new HnswIndex(dim, params, { index, side }));
  }

  get size(): number {
    return this.live.size;
  }
  get capacity(): number {
    return this.index.getMaxElements();
  }
  /** Changes made during a snapshot write that the graph has not caught up with yet. */
  get pendingChanges(): number {
    return (this.pending?.added.size ?? 0) + (this.pending?.removed.size ?? 0);
  }
  has(label: number): boolean {
    return this.live.has(label);
  }
  labels(): IterableIterator<number> {
    return this.live.values();
  }

  add(label: number, vector: Float32Array | number[]): void {
    if (this.live.has(label)) return;
    this.live.add(label);
    // Removed and back before the graph saw the removal: it still has it.
    if (this.pending?.removed.delete(label)) return;
    if (this.frozen) this.pending!.added.set(label, Float32Array.from(vector));
    else this.graphAdd(label, vector);
  }

  /**
   * A new vector for a live label (the history index: a sighting's better shot keeps its label), or
   * add() for a new one. hnswlib updates the point in place (its links are repaired).
   */
  replace(label: number, vector: Float32Array | number[]): void {
    if (!this.live.has(label)) {
      this.add(label, vector);
      return;
    }
    const p = this.pending;
    if (p?.added.has(label)) {
      p.added.set(label, Float32Array.from(vector));
      return;
    }
    if (this.frozen) {
      p!.removed.add(label);
      p!.replaced.add(label);
      p!.added.set(label, Float32Array.from(vector));
      return;
    }
    this.index.addPoint(Array.isArray(vector) ? vector : Array.from(vector), label, false);
  }

  remove(label: number): boolean {
    if (!this.live.delete(label)) return false;
    if (this.pending?.replaced.delete(label)) {
      // Its old vector is in the graph (removed at the drain), the new one only pending.
      this.pending.added.delete(label);
      return true;
    }
    if (this.pending?.added.delete(label)) return true; // never reached the graph
    if (this.frozen) this.pending!.removed.add(label);
    else this.graphRemove(label);
    return true;
  }

  private graphAdd(label: number, vector: Float32Array | number[]): void {
    if (this.deletedSlots > 0) {
      // A label removed earlier (a face that left this scope and came back) still owns its deleted
      // slot, with the same vector (a face's embedding never changes): revive it. Adding it anew would
      // give the label a second slot, and reusing the old one later would drop the label from the
      // library's lookup table (markDelete and getPoint would then fail for a live face).
      try {
        this.index.unmarkDelete(label);
        this.deletedSlots--;
        this.inGraph++;
        return;
      } catch {
        // not in the graph: a new face
      }
    }
    const full = this.index.getCurrentCount() >= this.index.getMaxElements();
    const reuse = full && this.deletedSlots > 0;
    if (full && !reuse) {
      this.index.resizeIndex(Math.max(this.params.initialCapacity, this.index.getMaxElements() * 2));
    }
    this.index.addPoint(Array.isArray(vector) ? vector : Array.from(vector), label, reuse);
    if (reuse) this.deletedSlots--;
    this.inGraph++;
  }

  private graphRemove(label: number): void {
    this.index.markDelete(label);
    this.deletedSlots++;
    this.inGraph--;
  }

  vector(label: number): Float32Array | undefined {
    if (!this.live.has(label)) return undefined;
    return this.pending?.added.get(label) ?? Float32Array.from(this.index.getPoint(label));
  }

  /** The k nearest live labels; `filter` (optional) keeps only the labels it accepts (searched for in the graph). */
  search(query: Float32Array | number[], k: number, filter?: (label: number) => boolean): Neighbor[] {
    const n = Math.min(k, this.live.size);
    if (n === 0) return [];
    const q = Array.isArray(query) ? query : Array.from(query);
    const f = this.pending;
    // Faces removed but still in the graph: ask it for more, drop them ...
    const want = Math.min(n + (f?.removed.size ?? 0), this.inGraph);
    const out: Neighbor[] = [];
    if (want > 0) {
      const r = filter ? this.index.searchKnn(q, want, filter) : this.index.searchKnn(q, want);
      for (let i = 0; i < r.neighbors.length; i++)
        if (!f?.removed.has(r.neighbors[i])) out.push({ label: r.neighbors[i], similarity: 1 - r.distances[i] });
    }
    if (out.length > n) out.length = n;
    if (!f || f.added.size === 0) return out;
    // ... and faces not in it yet: compared exactly (those added during one write); only those that
    // beat the graph's n-th best can be among the n best.
    const floor = out.length === n ? out[n - 1].similarity : Number.NEGATIVE_INFINITY;
    for (const [label, v] of f.added) {
      if (filter && !filter(label)) continue;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i] * q[i];
      if (dot > floor) out.push({ label, similarity: dot });
    }
    return out.sort((a, b) => b.similarity - a.similarity).slice(0, n);
  }

  setEf(ef: number): void {
    this.index.setEf(ef);
  }

  private sidecar(snapshotId: string): string {
    return JSON.stringify({ snapshotId, live: [...this.live], deleted: this.deletedSlots } satisfies Sidecar);
  }

  /** Writes the graph and its labels; the gallery's manifest names the snapshot id that makes them valid. */
  save(file: string, snapshotId: string): void {
    if (this.pending) throw new Error("hnsw: a snapshot is already being written");
    this.index.writeIndexSync(`${file}.tmp`);
    writeFileSync(`${file}.labels.json.tmp`, this.sidecar(snapshotId));
    renameSync(`${file}.tmp`, file);
    renameSync(`${file}.labels.json.tmp`, `${file}.labels.json`);
  }

  /**
   * save() without blocking: the graph is written in the thread pool while frozen; changes made
   * meanwhile are applied after it, DRAIN_SLICE_MS at a time (changes after the write go straight in).
   */
  async saveAsync(file: string, snapshotId: string): Promise<{ writeMs: number; applied: number; applyMs: number }> {
    if (this.pending) throw new Error("hnsw: a snapshot is already being written");
    const side = this.sidecar(snapshotId);
    const p: Pending = { added: new Map(), removed: new Set(), replaced: new Set() };
    this.pending = p;
    this.frozen = true;
    const t0 = performance.now();
    let applied = 0;
    try {
      try {
        await this.index.writeIndex(`${file}.tmp`);
        await writeFile(`${file}.labels.json.tmp`, side);
        await rename(`${file}.tmp`, file);
        await rename(`${file}.labels.json.tmp`, `${file}.labels.json`);
      } finally {
        this.frozen = false;
      }
      const t1 = performance.now();
      for (const l of p.removed) if (!p.replaced.has(l)) this.graphRemove(l);
      applied += p.removed.size;
      p.removed.clear();
      let slice = performance.now();
      for (const [l, v] of p.added) {
        p.added.delete(l);
        if (p.replaced.delete(l)) this.index.addPoint(Array.from(v), l, false);
        else this.graphAdd(l, v);
        applied++;
        if (performance.now() - slice >= DRAIN_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      return { writeMs: t1 - t0, applied, applyMs: performance.now() - t1 };
    } finally {
      // A failed write: what is pending goes into the graph at once.
      for (const l of p.removed) if (!p.replaced.has(l)) this.graphRemove(l);
      for (const [l, v] of p.added) {
        if (p.replaced.delete(l)) this.index.addPoint(Array.from(v), l, false);
        else this.graphAdd(l, v);
      }
      this.pending = undefined;
    }
  }
}
