/**
 * The in-memory gallery: who owns which representative face, and the HNSW indexes that find them.
 *
 * Scopes (one HNSW graph each): enrolled persons and persons on a list live in the 'known' index,
 * matched everywhere (a foe must be recognized at every door). Automatic persons live in the 'auto'
 * index ('global' mode) or in one index per camera that saw them ('camera' mode, FindFace's per-camera
 * dynamic persons). Keeping the watchlist in its own small graph matters: HNSW recall falls as a graph
 * grows (bench/server-index.ts), and a crowd of automatic persons must not hide a foe.
 *
 * The database is the source of truth: at start the snapshot (if any) is loaded and then reconciled
 * with the faces in the store, so a stale or missing snapshot only costs time.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "@argus/shared";
import type { Face, ListName, PersonKind } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import { HnswIndex, type HnswParams, type Neighbor } from "./hnswIndex.ts";
import type { Rep } from "./representatives.ts";

export type MatchingMode = "global" | "camera";
export const KNOWN_SCOPE = "known";
export const AUTO_SCOPE = "auto";
/** Bumped when the scope layout changes: older snapshots are then rebuilt. */
const LAYOUT = 2;

interface PersonEntry {
  kind: PersonKind;
  list: ListName | null;
  cameraId: string | null;
  faces: Set<number>;
}

interface FaceEntry {
  personId: string;
  quality: number;
  source: Face["source"];
  cameraId: string | null;
}

export interface GalleryOptions {
  dim: number;
  mode: MatchingMode;
  hnsw: HnswParams;
  /** Feature model id + sha: a snapshot of another model is never loaded. */
  model: string;
  snapshotDir: string;
  log?: Logger;
}

/** Where a load is (for /health while the server starts). */
export interface LoadProgress {
  /**
   * pending: not begun; snapshot: opening it; database: reading persons and faces (the snapshot's graphs
   * are read meanwhile); catch-up: inserting the faces missing from the snapshot.
   */
  phase: "pending" | "snapshot" | "database" | "catch-up";
  /** catch-up: faces added so far, of `total` missing from the snapshot (0 of 0 in the other phases). */
  done: number;
  total: number;
  /** Since the load began. */
  seconds: number;
}

/** What the last load did and what each step cost. */
export interface LoadStats {
  fromSnapshot: number;
  added: number;
  removed: number;
  snapshotMs: number;
  databaseMs: number;
  /** Reading the embeddings of the faces missing from the snapshot. */
  embeddingsMs: number;
  /** Inserting them into the graphs. */
  insertMs: number;
  /** CPU time of the inserts (their wall time without other processes; a contended machine shows the difference). */
  insertCpuMs: number;
  totalMs: number;
  cpuMs: number;
}

/** What the last snapshot write cost. */
export interface SnapshotStats {
  faces: number;
  /** Writing the graphs (off the event loop; the graphs are frozen meanwhile). */
  writeMs: number;
  /** Changes made during the write, applied to the graphs after it (on the event loop, 20 ms at a time). */
  applied: number;
  applyMs: number;
  totalMs: number;
}

/** The event loop gets a turn at least this often during a load (/health answers meanwhile). */
const LOAD_SLICE_MS = 50;

export interface PersonBrief {
  id: string;
  kind: PersonKind;
  list: ListName | null;
  cameraId: string | null;
}

export class Gallery {
  private readonly persons = new Map<string, PersonEntry>();
  private readonly faces = new Map<number, FaceEntry>();
  private readonly indexes = new Map<string, HnswIndex>();
  /** Index changes (faces added, removed, moved) not in the last snapshot. */
  private changes = 0;
  private loadStart = performance.now();
  private progress: Omit<LoadProgress, "seconds"> | undefined = { phase: "pending", done: 0, total: 0 };
  private writing: Promise<SnapshotStats> | undefined;
  /** What the last load() did. */
  lastLoad: LoadStats | undefined;

  constructor(readonly opts: GalleryOptions) {}

  /** False from construction until load() has finished. */
  get ready(): boolean {
    return this.progress === undefined;
  }
  /** Where the load is, while not ready. */
  get loading(): LoadProgress | undefined {
    const p = this.progress;
    return p && { ...p, seconds: Math.round((performance.now() - this.loadStart) / 100) / 10 };
  }
  /** Changes since the last snapshot (a kill now costs their catch-up at the next start). */
  get changesSinceSnapshot(): number {
    return this.changes;
  }
  get dirty(): boolean {
    return this.changes > 0;
  }

  get personCount(): number {
    return this.persons.size;
  }
  get faceCount(): number {
    return this.faces.size;
  }
  scopes(): Array<{ scope: string; size: number; capacity: number }> {
    return [...this.indexes].map(([scope, i]) => ({ scope, size: i.size, capacity: i.capacity }));
  }

  /** Face id -> scope of every face in the graphs (what a consistency check compares with the store). */
  indexedFaces(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [scope, i] of this.indexes) for (const l of i.labels()) out.set(l, scope);
    return out;
  }

  private scopeOf(
    p: { kind: PersonKind; list: ListName | null; cameraId: string | null },
    f: { cameraId: string | null },
  ) {
    if (p.kind === "enrolled" || p.list) return KNOWN_SCOPE;
    if (this.opts.mode === "global") return AUTO_SCOPE;
    return `cam:${f.cameraId ?? p.cameraId ?? "-"}`;
  }

  private index(scope: string): HnswIndex {
    let i = this.indexes.get(scope);
    if (!i) this.indexes.set(scope, (i = new HnswIndex(this.opts.dim, this.opts.hnsw)));
    return i;
  }

  hasPerson(id: string): boolean {
    return this.persons.has(id);
  }
  person(id: string): Readonly<Omit<PersonEntry, "faces">> | undefined {
    return this.persons.get(id);
  }
  personOf = (faceId: number): string | undefined => this.faces.get(faceId)?.personId;
  facesOf(personId: string): number[] {
    return [...(this.persons.get(personId)?.faces ?? [])];
  }

  /** Nearest faces: known persons plus, for a camera, its automatic scope; without a camera, every scope. */
  search(vector: Float32Array, k: number, cameraId?: string): Neighbor[] {
    const q = Array.from(vector);
    const scopes =
      cameraId === undefined || this.opts.mode === "global"
        ? [...this.indexes.keys()]
        : [KNOWN_SCOPE, `cam:${cameraId}`];
    const out: Neighbor[] = [];
    for (const s of scopes) {
      const i = this.indexes.get(s);
      if (i) out.push(...i.search(q, k));
    }
    return out;
  }

  /**
   * Faces a search for this camera looks through (every scope without a camera or in 'global'
   * mode): the gallery size the operating threshold is calibrated for (identify/calibrated.ts).
   */
  searchSize(cameraId?: string): number {
    if (cameraId === undefined || this.opts.mode === "global") return this.faces.size;
    return (this.indexes.get(KNOWN_SCOPE)?.size ?? 0) + (this.indexes.get(`cam:${cameraId}`)?.size ?? 0);
  }

  /** The person's representatives without vectors (cheap). */
  repMeta(personId: string): Array<{ id: number; quality: number; source: Face["source"] }> {
    const p = this.persons.get(personId);
    if (!p) return [];
    return [...p.faces].map((id) => {
      const f = this.faces.get(id)!;
      return { id, quality: f.quality, source: f.source };
    });
  }

  /** The person's representatives with their vectors (for representative selection). */
  reps(personId: string): Rep[] {
    const out: Rep[] = [];
    const p = this.persons.get(personId);
    if (!p) return out;
    for (const id of p.faces) {
      const f = this.faces.get(id)!;
      const v = this.index(this.scopeOf(p, f)).vector(id);
      if (v) out.push({ id, quality: f.quality, source: f.source, vector: v });
    }
    return out;
  }

  upsertPerson(b: PersonBrief): void {
    const p = this.persons.get(b.id);
    if (!p) {
      this.persons.set(b.id, { kind: b.kind, list: b.list, cameraId: b.cameraId, faces: new Set() });
      return;
    }
    const before = new Map([...p.faces].map((id) => [id, this.scopeOf(p, this.faces.get(id)!)]));
    p.kind = b.kind;
    p.list = b.list;
    p.cameraId = b.cameraId;
    for (const [id, old] of before) this.move(id, old, this.scopeOf(p, this.faces.get(id)!));
  }

  private move(faceId: number, from: string, to: string): void {
    if (from === to) return;
    const src = this.index(from);
    const v = src.vector(faceId);
    src.remove(faceId);
    if (v) this.index(to).add(faceId, v);
    this.changes++;
  }

  addFace(f: Pick<Face, "id" | "personId" | "quality" | "source" | "cameraId">, vector: Float32Array): void {
    const p = this.persons.get(f.personId);
    if (!p) throw new Error(`gallery: unknown person ${f.personId}`);
    this.faces.set(f.id, { personId: f.personId, quality: f.quality, source: f.source, cameraId: f.cameraId });
    p.faces.add(f.id);
    this.index(this.scopeOf(p, f)).add(f.id, vector);
    this.changes++;
  }

  removeFace(id: number): void {
    const f = this.faces.get(id);
    if (!f) return;
    const p = this.persons.get(f.personId);
    if (p) {
      this.index(this.scopeOf(p, f)).remove(id);
      p.faces.delete(id);
    }
    this.faces.delete(id);
    this.changes++;
  }

  removePerson(id: string): void {
    for (const f of this.facesOf(id)) this.removeFace(f);
    this.persons.delete(id);
  }

  /** Moves `fromId`'s faces to `intoId` (their scope follows the surviving person). */
  merge(intoId: string, fromId: string): void {
    const into = this.persons.get(intoId);
    const from = this.persons.get(fromId);
    if (!into || !from) return;
    for (const id of from.faces) {
      const f = this.faces.get(id)!;
      const old = this.scopeOf(from, f);
      f.personId = intoId;
      into.faces.add(id);
      this.move(id, old, this.scopeOf(into, f));
    }
    this.persons.delete(fromId);
  }

  // ------------------------------------------------------------------ persistence

  private manifestPath(): string {
    return join(this.opts.snapshotDir, "manifest.json");
  }
  /**
   * Each snapshot's graphs have their own file names, and the manifest (renamed into place last) names
   * the current ones: a crash in the middle of a write leaves the previous snapshot whole.
   * (Snapshots before this had no `files` in the manifest: `<scope>.hnsw`.)
   */
  private fileOf(scope: string, snapshotId?: string): string {
    const base = scope.replace(/[^A-Za-z0-9_.-]/g, "_");
    return join(this.opts.snapshotDir, snapshotId ? `${base}.${snapshotId}.hnsw` : `${base}.hnsw`);
  }

  /** After a new manifest: the graph files it does not name. */
  private oldFiles(keep: string[]): string[] {
    const names = new Set(keep.flatMap((f) => [basename(f), `${basename(f)}.labels.json`]));
    names.add("manifest.json");
    return readdirSync(this.opts.snapshotDir)
      .filter((f) => !names.has(f) && /\.(hnsw|labels\.json|tmp)$/.test(f))
      .map((f) => join(this.opts.snapshotDir, f));
  }

  /**
   * Loads the snapshot, then makes it agree with the store. Returns what the catch-up did.
   * The event loop gets a turn every LOAD_SLICE_MS (the graphs are read in the thread pool), so the
   * HTTP server can answer /health with `loading` meanwhile; `onProgress` is awaited at each turn.
   */
  async load(
    store: Store,
    opts: { ignoreSnapshot?: boolean; onProgress?: (p: LoadProgress) => void | Promise<void> } = {},
  ): Promise<{ fromSnapshot: number; added: number; removed: number }> {
    while (this.writing) await this.writing.catch(() => {});
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    this.loadStart = t0;
    const step = async (p: Omit<LoadProgress, "seconds">) => {
      this.progress = p;
      await opts.onProgress?.(this.loading!);
    };
    this.persons.clear();
    this.faces.clear();
    this.indexes.clear();
    await step({ phase: "snapshot", done: 0, total: 0 });
    // The graphs are read in the thread pool while this thread reads the database.
    let snapshotMs = 0;
    const graphs = (opts.ignoreSnapshot ? Promise.resolve(new Map<string, HnswIndex>()) : this.readSnapshot()).then(
      (g) => {
        snapshotMs = performance.now() - t0;
        return g;
      },
    );
    await step({ phase: "database", done: 0, total: 0 });
    const t1 = performance.now();
    const persons = await store.persons.brief();
    const stored = await store.persons.allFaces();
    const databaseMs = performance.now() - t1;
    let fromSnapshot = 0;
    for (const [scope, i] of await graphs) {
      this.indexes.set(scope, i);
      fromSnapshot += i.size;
    }
    for (const p of persons) this.upsertPerson(p);
    const toAdd: Face[] = [];
    const want = new Map<number, string>();
    for (const f of stored) {
      const p = this.persons.get(f.personId);
      if (!p) continue; // orphan face of a deleted person
      this.faces.set(f.id, { personId: f.personId, quality: f.quality, source: f.source, cameraId: f.cameraId });
      p.faces.add(f.id);
      const scope = this.scopeOf(p, f);
      want.set(f.id, scope);
      if (!this.indexes.get(scope)?.has(f.id)) toAdd.push(f);
    }
    let removed = 0;
    for (const [scope, i] of this.indexes) {
      const stale = [...i.labels()].filter((l) => want.get(l) !== scope);
      for (const l of stale) {
        i.remove(l);
        removed++;
      }
    }
    const t2 = performance.now();
    const cpu2 = process.cpuUsage();
    let embeddingsMs = 0;
    let slice = performance.now();
    await step({ phase: "catch-up", done: 0, total: toAdd.length });
    for (let k = 0; k < toAdd.length; k += 500) {
      const chunk = toAdd.slice(k, k + 500);
      const te = performance.now();
      const vecs = await store.persons.faceEmbeddings(chunk.map((f) => f.id));
      embeddingsMs += performance.now() - te;
      for (const [j, f] of chunk.entries()) {
        const v = vecs.get(f.id);
        if (v) this.index(want.get(f.id)!).add(f.id, v);
        if (performance.now() - slice >= LOAD_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          await step({ phase: "catch-up", done: k + j + 1, total: toAdd.length });
          slice = performance.now();
        }
      }
    }
    const t3 = performance.now();
    const cpuMs = (from: NodeJS.CpuUsage) => {
      const d = process.cpuUsage(from);
      return Math.round((d.user + d.system) / 1000);
    };
    this.changes = toAdd.length + removed;
    this.progress = undefined;
    this.lastLoad = {
      fromSnapshot: fromSnapshot - removed,
      added: toAdd.length,
      removed,
      snapshotMs: Math.round(snapshotMs),
      databaseMs: Math.round(databaseMs),
      embeddingsMs: Math.round(embeddingsMs),
      insertMs: Math.round(t3 - t2 - embeddingsMs),
      insertCpuMs: Math.max(0, cpuMs(cpu2) - Math.round(embeddingsMs)),
      totalMs: Math.round(t3 - t0),
      cpuMs: cpuMs(cpu0),
    };
    return { fromSnapshot: fromSnapshot - removed, added: toAdd.length, removed };
  }

  private manifest(snapshotId: string, scopes: string[]) {
    return JSON.stringify({
      layout: LAYOUT,
      snapshotId,
      mode: this.opts.mode,
      model: this.opts.model,
      dim: this.opts.dim,
      m: this.opts.hnsw.m,
      scopes,
      files: Object.fromEntries(scopes.map((s) => [s, basename(this.fileOf(s, snapshotId))])),
    });
  }

  /**
   * The snapshot's graphs, if it matches this gallery's settings; empty when there is none or it is
   * unreadable (everything is then caught up from the database). The reads start before this returns.
   */
  private readSnapshot(): Promise<Map<string, HnswIndex>> {
    const out = new Map<string, HnswIndex>();
    if (!existsSync(this.manifestPath())) return Promise.resolve(out);
    const failed = (e: unknown) => {
      this.opts.log?.warn({ err: (e as Error).message }, "index snapshot unreadable; rebuilding from the database");
      return new Map<string, HnswIndex>();
    };
    try {
      const m = JSON.parse(readFileSync(this.manifestPath(), "utf8"));
      const o = this.opts;
      if (m.layout !== LAYOUT || m.mode !== o.mode || m.model !== o.model || m.dim !== o.dim || m.m !== o.hnsw.m)
        return Promise.resolve(out);
      const reads = (m.scopes as string[]).map(async (scope) => {
        const file = m.files?.[scope] ? join(o.snapshotDir, m.files[scope]) : this.fileOf(scope);
        const i = await HnswIndex.loadAsync(file, o.dim, o.hnsw, m.snapshotId);
        if (i) out.set(scope, i);
      });
      return Promise.all(reads).then(() => out, failed);
    } catch (e) {
      return Promise.resolve(failed(e));
    }
  }

  /** Writes every scope's graph and then the manifest that makes them the current snapshot (blocking). */
  save(): void {
    if (this.writing) throw new Error("gallery: a snapshot is being written");
    mkdirSync(this.opts.snapshotDir, { recursive: true });
    const snapshotId = randomUUID();
    const scopes = [...this.indexes.keys()];
    for (const s of scopes) this.indexes.get(s)!.save(this.fileOf(s, snapshotId), snapshotId);
    writeFileSync(`${this.manifestPath()}.tmp`, this.manifest(snapshotId, scopes));
    renameSync(`${this.manifestPath()}.tmp`, this.manifestPath());
    for (const f of this.oldFiles(scopes.map((s) => this.fileOf(s, snapshotId)))) rmSync(f, { force: true });
    this.changes = 0;
  }

  /**
   * save() without blocking the event loop or the callers that change the gallery: each graph is
   * written in the thread pool while frozen (changes meanwhile are searchable at once and applied
   * after). One write at a time; a second call waits for the first and then writes.
   */
  async snapshot(): Promise<SnapshotStats> {
    while (this.writing) await this.writing.catch(() => {});
    this.writing = this.writeSnapshot();
    try {
      return await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  private async writeSnapshot(): Promise<SnapshotStats> {
    const t0 = performance.now();
    mkdirSync(this.opts.snapshotDir, { recursive: true });
    const snapshotId = randomUUID();
    const counted = this.changes;
    const faces = this.faceCount;
    const scopes = [...this.indexes];
    const stats = { faces, writeMs: 0, applied: 0, applyMs: 0, totalMs: 0 };
    for (const [scope, index] of scopes) {
      const r = await index.saveAsync(this.fileOf(scope, snapshotId), snapshotId);
      stats.writeMs += r.writeMs;
      stats.applied += r.applied;
      stats.applyMs += r.applyMs;
    }
    await writeFile(
      `${this.manifestPath()}.tmp`,
      this.manifest(
        snapshotId,
        scopes.map(([s]) => s),
      ),
    );
    await rename(`${this.manifestPath()}.tmp`, this.manifestPath());
    // Unlinking a 200 MB file takes a while: not on the event loop.
    for (const f of this.oldFiles(scopes.map(([s]) => this.fileOf(s, snapshotId)))) await rm(f, { force: true });
    // Changes made during the write may be missing from it: they count towards the next one.
    this.changes = Math.max(0, this.changes - counted);
    stats.writeMs = Math.round(stats.writeMs);
    stats.applyMs = Math.round(stats.applyMs);
    stats.totalMs = Math.round(performance.now() - t0);
    return stats;
  }
}
