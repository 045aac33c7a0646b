/**
 * Cautious creation of automatic persons: an unmatched face founds an "Unknown #N" person only with
 * enough evidence that it is a real, recurring face.
 *
 * - A strong track founds one at once: the agent's face check passed (or was not made), the best shot
 *   is good enough (`identify.create.minQuality`), and the track is long (`track.frames` >=
 *   `minTrackFrames`) or has several shots (`embedding.shots`, or events of the track received, >=
 *   `minShots`).
 * - Any other unmatched face waits as a candidate: a sighting of no person (`unlinkedReason`
 *   "candidate"), its embedding in the candidate index (in memory, per matching scope, rebuilt at
 *   start from the stored candidate sightings of the last `windowHours`). When `minSightings`
 *   candidates of separate tracks or visits (different track ids, or the same id `minGapSeconds`
 *   apart) match each other at the operating threshold, they found one person together.
 *
 * The rules are pure functions; CandidatePool is the index.
 */
import type { Logger } from "@argus/shared";
import type { Config } from "../config/config.ts";
import type { Store } from "../store/types.ts";
import { HnswIndex, type HnswParams } from "./hnswIndex.ts";

export type CreatePolicy = Config["identify"]["create"];

/** What a track offers as evidence that it is a real face worth a person of its own. */
export interface TrackEvidence {
  /** Best shot's quality so far. */
  quality: number;
  /** The agent's face check: true passed, false failed, null not made (older agents). */
  faceCheck: boolean | null;
  /** Analyzed frames with the face (the agent's `track.frames`); null: not sent. */
  frames: number | null;
  /** Shots: the template's shot embeddings, or the track's events received, whichever is more. */
  shots: number;
}

/** Whether the track alone is evidence enough to found a person. */
export function strongTrack(t: TrackEvidence, p: Pick<CreatePolicy, "minQuality" | "minTrackFrames" | "minShots">) {
  if (t.faceCheck === false || t.quality < p.minQuality) return false;
  return (t.frames ?? 0) >= p.minTrackFrames || t.shots >= p.minShots;
}

/** A waiting candidate: a stored sighting of no person. */
export interface CandidateEntry {
  sightingId: string;
  /** agent|camera|track */
  trackKey: string;
  /** Camera key agent/camera (the scope in 'camera' matching). */
  camera: string;
  capturedAt: number;
  lastSeenAt: number;
  quality: number;
  vector: Float32Array;
}

export interface CandidateHit {
  entry: CandidateEntry;
  similarity: number;
}

/** Two sightings are separate visits: other tracks, or the same track id at least `gapMs` apart. */
export function separateVisits(
  a: Pick<CandidateEntry, "trackKey" | "capturedAt" | "lastSeenAt">,
  b: Pick<CandidateEntry, "trackKey" | "capturedAt" | "lastSeenAt">,
  gapMs: number,
): boolean {
  if (a.trackKey !== b.trackKey) return true;
  const gap = Math.max(a.capturedAt - b.lastSeenAt, b.capturedAt - a.lastSeenAt);
  return gap >= gapMs;
}

/**
 * The candidates that recur with this face: at or above the threshold, from separate visits, not the
 * face's own sighting. Most similar first.
 */
export function recurring(
  hits: readonly CandidateHit[],
  face: Pick<CandidateEntry, "sightingId" | "trackKey" | "capturedAt" | "lastSeenAt">,
  threshold: number,
  gapMs: number,
): CandidateHit[] {
  const seen = new Set<string>();
  return hits
    .filter((h) => {
      if (h.similarity < threshold || h.entry.sightingId === face.sightingId || seen.has(h.entry.sightingId))
        return false;
      seen.add(h.entry.sightingId);
      return separateVisits(h.entry, face, gapMs);
    })
    .sort((a, b) => b.similarity - a.similarity);
}

/** Whether this many recurring candidates (besides the face itself) make a person. */
export const enoughToPromote = (recurrent: number, p: Pick<CreatePolicy, "minSightings">): boolean =>
  1 + recurrent >= p.minSightings;

/**
 * A lighter graph than the gallery's: candidates are many, short-lived and rebuilt at every start. On
 * 20,000 LFW-like embeddings: 0.6 ms an insert, 1.2 ms a search (k 20), recall@1 1.0 (m 16 / efC 100:
 * 1.4 ms an insert, the same recall).
 */
const CANDIDATE_HNSW: HnswParams = { m: 12, efConstruction: 40, efSearch: 64, initialCapacity: 1024 };
const ALL = "all";

/**
 * The candidate index: waiting candidates' embeddings (one HNSW graph per matching scope: one in
 * 'global' matching, one per camera in 'camera' matching), bounded in age and count. Changed only
 * after a batch commits (ingestor.ts); the batch's own new candidates are searched from the plan.
 */
/** A candidate as the pool keeps it: its vector lives in the graph only (~2.3 kB a candidate in all). */
type Kept = Omit<CandidateEntry, "vector">;

export class CandidatePool {
  private readonly scopes = new Map<string, HnswIndex>();
  /** By label, in insertion order (about the capture order: the oldest go first). */
  private readonly entries = new Map<number, Kept>();
  private readonly bySighting = new Map<string, number>();
  /**
   * Graph labels are the pool's own: a track's candidate is replaced by a later, better embedding,
   * and the graph revives a removed label with its old vector.
   */
  private nextLabel = 0;

  constructor(
    readonly opts: {
      dim: number;
      mode: "global" | "camera";
      windowMs: number;
      maxCandidates: number;
      hnsw?: HnswParams;
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Candidates a search at this camera looks through. */
  scopeSize(camera: string): number {
    return this.scopes.get(this.scopeOf(camera))?.size ?? 0;
  }

  has(sightingId: string): boolean {
    return this.bySighting.has(sightingId);
  }

  get(sightingId: string): CandidateEntry | undefined {
    const l = this.bySighting.get(sightingId);
    return l === undefined ? undefined : this.withVector(l);
  }

  /**
   * The entry with its vector read from the graph only when used: a search's hits are judged by
   * similarity, and copying 512 floats out of hnswlib per hit was 7% of ingest (profiled).
   */
  private withVector(label: number): CandidateEntry | undefined {
    const e = this.entries.get(label);
    const scope = e && this.scopes.get(this.scopeOf(e.camera));
    if (!e || !scope?.has(label)) return undefined;
    let vector: Float32Array | undefined;
    return {
      ...e,
      get vector() {
        vector ??= scope.vector(label);
        // The pool changes only after a commit; a hit is read while its batch is planned.
        if (!vector) throw new Error(`candidate ${e.sightingId} left the pool before its vector was read`);
        return vector;
      },
    };
  }

  private scopeOf(camera: string): string {
    return this.opts.mode === "global" ? ALL : camera;
  }

  private index(scope: string): HnswIndex {
    let i = this.scopes.get(scope);
    if (!i) this.scopes.set(scope, (i = new HnswIndex(this.opts.dim, this.opts.hnsw ?? CANDIDATE_HNSW)));
    return i;
  }

  /** Adds (or replaces: a track's later, better embedding) a candidate. */
  add(e: CandidateEntry): void {
    this.remove(e.sightingId);
    const label = ++this.nextLabel;
    const { vector: _, ...kept } = e;
    this.entries.set(label, kept);
    this.bySighting.set(e.sightingId, label);
    this.index(this.scopeOf(e.camera)).add(label, e.vector);
  }

  remove(sightingId: string): void {
    const l = this.bySighting.get(sightingId);
    if (l === undefined) return;
    const e = this.entries.get(l)!;
    this.scopes.get(this.scopeOf(e.camera))?.remove(l);
    this.entries.delete(l);
    this.bySighting.delete(sightingId);
  }

  /** Nearest candidates in the camera's scope. */
  search(vector: Float32Array, k: number, camera: string): CandidateHit[] {
    const i = this.scopes.get(this.scopeOf(camera));
    if (!i || i.size === 0) return [];
    const out: CandidateHit[] = [];
    for (const n of i.search(Array.from(vector), k)) {
      const entry = this.withVector(n.label);
      if (entry) out.push({ entry, similarity: n.similarity });
    }
    return out;
  }

  /** Drops candidates captured before the window (relative to `now`), then the oldest beyond the cap. */
  evict(now: number): number {
    const before = now - this.opts.windowMs;
    let n = 0;
    for (const e of this.entries.values()) {
      if (this.entries.size <= this.opts.maxCandidates && e.lastSeenAt >= before) break;
      this.remove(e.sightingId);
      n++;
    }
    // Entries inserted out of time order (a spool replaying old events) go when they are reached.
    return n;
  }

  /**
   * Rebuilds the index from the store's candidate sightings of the window (their stored embeddings),
   * oldest first. Returns how many were loaded.
   */
  async load(store: Store, now: number, log?: Logger): Promise<number> {
    const t0 = performance.now();
    for (const e of [...this.entries.values()]) this.remove(e.sightingId);
    const from = now - this.opts.windowMs;
    const found: Array<Omit<CandidateEntry, "vector">> = [];
    let cursor: string | undefined;
    do {
      const page = await store.sightings.list({ kind: "unidentified", from }, cursor, 500);
      for (const s of page.items)
        if (s.unlinkedReason === "candidate")
          found.push({
            sightingId: s.id,
            trackKey: `${s.agentId}|${s.cameraId}|${s.trackId}`,
            camera: `${s.agentId}/${s.cameraId}`,
            capturedAt: s.capturedAt,
            lastSeenAt: s.lastSeenAt,
            quality: s.quality,
          });
      cursor = page.nextCursor ?? undefined;
    } while (cursor && found.length < this.opts.maxCandidates);
    // The list is newest first: keep the newest maxCandidates, insert oldest first.
    const keep = found.slice(0, this.opts.maxCandidates).reverse();
    for (let k = 0; k < keep.length; k += 500) {
      const chunk = keep.slice(k, k + 500);
      const vecs = await store.sightings.embeddings(chunk.map((c) => c.sightingId));
      for (const c of chunk) {
        const vector = vecs.get(c.sightingId);
        if (vector) this.add({ ...c, vector });
      }
    }
    log?.info(
      { candidates: this.size, ms: Math.round(performance.now() - t0) },
      "candidate index loaded (unmatched faces waiting to recur)",
    );
    return this.size;
  }
}
