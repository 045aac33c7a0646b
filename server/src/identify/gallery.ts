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
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
  dirty = false;

  constructor(readonly opts: GalleryOptions) {}

  get personCount(): number {
    return this.persons.size;
  }
  get faceCount(): number {
    return this.faces.size;
  }
  scopes(): Array<{ scope: string; size: number; capacity: number }> {
    return [...this.indexes].map(([scope, i]) => ({ scope, size: i.size, capacity: i.capacity }));
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
    this.dirty = true;
  }

  addFace(f: Pick<Face, "id" | "personId" | "quality" | "source" | "cameraId">, vector: Float32Array): void {
    const p = this.persons.get(f.personId);
    if (!p) throw new Error(`gallery: unknown person ${f.personId}`);
    this.faces.set(f.id, { personId: f.personId, quality: f.quality, source: f.source, cameraId: f.cameraId });
    p.faces.add(f.id);
    this.index(this.scopeOf(p, f)).add(f.id, vector);
    this.dirty = true;
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
    this.dirty = true;
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
  private fileOf(scope: string): string {
    return join(this.opts.snapshotDir, `${scope.replace(/[^A-Za-z0-9_.-]/g, "_")}.hnsw`);
  }

  /** Loads the snapshot, then makes it agree with the store. Returns what the catch-up did. */
  async load(
    store: Store,
    opts: { ignoreSnapshot?: boolean } = {},
  ): Promise<{ fromSnapshot: number; added: number; removed: number }> {
    this.persons.clear();
    this.faces.clear();
    this.indexes.clear();
    let fromSnapshot = 0;
    if (!opts.ignoreSnapshot && existsSync(this.manifestPath())) {
      try {
        const m = JSON.parse(readFileSync(this.manifestPath(), "utf8"));
        if (
          m.layout === LAYOUT &&
          m.mode === this.opts.mode &&
          m.model === this.opts.model &&
          m.dim === this.opts.dim &&
          m.m === this.opts.hnsw.m
        ) {
          for (const scope of m.scopes as string[]) {
            const i = HnswIndex.load(this.fileOf(scope), this.opts.dim, this.opts.hnsw, m.snapshotId);
            if (i) {
              this.indexes.set(scope, i);
              fromSnapshot += i.size;
            }
          }
        }
      } catch (e) {
        this.opts.log?.warn({ err: (e as Error).message }, "index snapshot unreadable; rebuilding from the database");
        this.indexes.clear();
        fromSnapshot = 0;
      }
    }
    for (const p of await store.persons.brief()) this.upsertPerson(p);
    const toAdd: Face[] = [];
    const want = new Map<number, string>();
    for (const f of await store.persons.allFaces()) {
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
    for (let k = 0; k < toAdd.length; k += 2000) {
      const chunk = toAdd.slice(k, k + 2000);
      const vecs = await store.persons.faceEmbeddings(chunk.map((f) => f.id));
      for (const f of chunk) {
        const v = vecs.get(f.id);
        if (v) this.index(want.get(f.id)!).add(f.id, v);
      }
    }
    this.dirty = toAdd.length > 0 || removed > 0;
    return { fromSnapshot: fromSnapshot - removed, added: toAdd.length, removed };
  }

  /** Writes every scope's graph and then the manifest that makes them the current snapshot. */
  save(): void {
    mkdirSync(this.opts.snapshotDir, { recursive: true });
    const snapshotId = randomUUID();
    const scopes = [...this.indexes.keys()];
    for (const s of scopes) this.indexes.get(s)!.save(this.fileOf(s), snapshotId);
    const m = {
      layout: LAYOUT,
      snapshotId,
      mode: this.opts.mode,
      model: this.opts.model,
      dim: this.opts.dim,
      m: this.opts.hnsw.m,
      scopes,
    };
    writeFileSync(`${this.manifestPath()}.tmp`, JSON.stringify(m));
    renameSync(`${this.manifestPath()}.tmp`, this.manifestPath());
    this.dirty = false;
  }
}
