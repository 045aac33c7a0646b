/**
 * One HNSW graph (hnswlib-node, inner product) over L2-normalized embeddings, labelled by face id.
 * Similarity = 1 - distance = cosine. Capacity doubles when full; deleted slots are reused
 * (allowReplaceDeleted), so the index grows with live faces, not with churn.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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

export class HnswIndex {
  private readonly index: hnswlib.HierarchicalNSW;
  /** Live labels (the library keeps deleted ones in getIdsList until their slot is reused). */
  private readonly live = new Set<number>();
  private deletedSlots = 0;

  constructor(
    readonly dim: number,
    readonly params: HnswParams = DEFAULT_HNSW,
    from?: { file: string; live: number[]; deleted: number },
  ) {
    this.index = new hnswlib.HierarchicalNSW("ip", dim);
    if (from) {
      this.index.readIndexSync(from.file, true);
      for (const l of from.live) this.live.add(l);
      this.deletedSlots = from.deleted;
    } else {
      this.index.initIndex(params.initialCapacity, params.m, params.efConstruction, 100, true);
    }
    this.index.setEf(params.efSearch);
  }

  /** Loads a snapshot written by save() with the same snapshot id, or undefined if absent or stale. */
  static load(file: string, dim: number, params: HnswParams, snapshotId: string): HnswIndex | undefined {
    if (!existsSync(file) || !existsSync(`${file}.labels.json`)) return undefined;
    const side = JSON.parse(readFileSync(`${file}.labels.json`, "utf8")) as {
      snapshotId: string;
      live: number[];
      deleted: number;
    };
    if (side.snapshotId !== snapshotId) return undefined;
    return new HnswIndex(dim, params, { file, live: side.live, deleted: side.deleted });
  }

  get size(): number {
    return this.live.size;
  }
  get capacity(): number {
    return this.index.getMaxElements();
  }
  has(label: number): boolean {
    return this.live.has(label);
  }
  labels(): IterableIterator<number> {
    return this.live.values();
  }

  add(label: number, vector: Float32Array | number[]): void {
    if (this.live.has(label)) return;
    const reuse = this.deletedSlots > 0;
    if (!reuse && this.index.getCurrentCount() >= this.index.getMaxElements()) {
      this.index.resizeIndex(Math.max(this.params.initialCapacity, this.index.getMaxElements() * 2));
    }
    this.index.addPoint(Array.isArray(vector) ? vector : Array.from(vector), label, reuse);
    if (reuse) this.deletedSlots--;
    this.live.add(label);
  }

  remove(label: number): boolean {
    if (!this.live.delete(label)) return false;
    this.index.markDelete(label);
    this.deletedSlots++;
    return true;
  }

  vector(label: number): Float32Array | undefined {
    return this.live.has(label) ? Float32Array.from(this.index.getPoint(label)) : undefined;
  }

  search(query: Float32Array | number[], k: number): Neighbor[] {
    const n = Math.min(k, this.live.size);
    if (n === 0) return [];
    const r = this.index.searchKnn(Array.isArray(query) ? query : Array.from(query), n);
    const out: Neighbor[] = new Array(r.neighbors.length);
    for (let i = 0; i < r.neighbors.length; i++) out[i] = { label: r.neighbors[i], similarity: 1 - r.distances[i] };
    return out;
  }

  setEf(ef: number): void {
    this.index.setEf(ef);
  }

  /** Writes the graph and its labels; the gallery's manifest names the snapshot id that makes them valid. */
  save(file: string, snapshotId: string): void {
    this.index.writeIndexSync(`${file}.tmp`);
    writeFileSync(
      `${file}.labels.json.tmp`,
      JSON.stringify({ snapshotId, live: [...this.live], deleted: this.deletedSlots }),
    );
    renameSync(`${file}.tmp`, file);
    renameSync(`${file}.labels.json.tmp`, `${file}.labels.json`);
  }
}
