/**
 * One batch's plan: what the batch has decided so far (later events see it), the planner's
 * dependencies, and the small steps every planning path shares (a track's later shot, a sighting's
 * changes, crops, a representative, a new automatic person).
 */
import type { MuteSet } from "../alerts/mutes.ts";
import type { Regulars } from "../alerts/regulars.ts";
import type { Cooldown } from "../alerts/rules.ts";
import type { Config } from "../config/config.ts";
import { cameraKey, type Grade, type Person, type Sighting, type Webhook } from "../domain/types.ts";
import type { CandidateEntry, CandidateHit, CandidatePool } from "../identify/creation.ts";
import type { Gallery } from "../identify/gallery.ts";
import type { PendingFace } from "../identify/identification.ts";
import type { IdAllocator } from "../identify/ids.ts";
import { dot } from "../identify/vector.ts";
import type { IngestBatch, SightingEmbedding } from "../store/types.ts";
import { derivedId } from "../util/ids.ts";
import type { ValidEvent } from "./validate.ts";

export type PlanOutcome = "stored" | "updated";

export type Crop = { kind: "sightings" | "context" | "faces"; id: string | number; jpeg: Buffer };

/** What a batch has decided so far (later events of the batch see it). */
export class BatchPlan {
  readonly tracks = new Map<string, Sighting>();
  readonly sightingById = new Map<string, Sighting>();
  readonly newSightingIds = new Set<string>();
  readonly updates = new Map<string, Partial<Sighting>>();
  readonly updatedSightings: Sighting[] = [];
  readonly newPersons = new Map<string, Person>();
  readonly faces: PendingFace[] = [];
  readonly repTouched = new Set<string>();
  readonly personSeen = new Map<string, number>();
  readonly crops: Crop[] = [];
  /** Each sighting's embedding and history-index label (the latest of the batch). */
  readonly embeddings = new Map<string, SightingEmbedding>();
  /** Candidates (unmatched faces waiting to recur) to add to the candidate index after the commit, by sighting id. */
  readonly candidateAdds = new Map<string, CandidateEntry>();
  /** ... and sightings to drop from it (promoted, or their track found its person). */
  readonly candidateRemoves = new Set<string>();
  private readonly cams = new Map<string, { cameraId: string; agentId: string; at: number; events: number }>();

  constructor(readonly batch: IngestBatch) {}

  camera(cameraId: string, agentId: string, at: number): void {
    const key = cameraKey(agentId, cameraId);
    const c = this.cams.get(key);
    if (c) {
      c.at = Math.max(c.at, at);
      c.events++;
      c.agentId = agentId;
    } else this.cams.set(key, { cameraId, agentId, at, events: 1 });
  }

  /**
   * Candidates near `vector` in the camera's scope: the index's (as of the last commit) plus this
   * batch's, without those the batch removed. `size`: candidates searched (the threshold's gallery size).
   */
  searchCandidates(
    pool: CandidatePool,
    vector: Float32Array,
    k: number,
    camera: string,
  ): { hits: CandidateHit[]; size: number } {
    const hits = pool
      .search(vector, k, camera)
      .filter((h) => !this.candidateRemoves.has(h.entry.sightingId) && !this.candidateAdds.has(h.entry.sightingId));
    let pending = 0;
    for (const c of this.candidateAdds.values())
      if (pool.opts.mode === "global" || c.camera === camera) {
        pending++;
        hits.push({ entry: c, similarity: dot(c.vector, vector) });
      }
    return { hits, size: pool.scopeSize(camera) + pending };
  }

  /** The batch as the store commits it. */
  finish(): IngestBatch {
    const b = this.batch;
    b.sightingUpdates = [...this.updates].map(([id, set]) => ({ id, set }));
    b.personSeen = [...this.personSeen].map(([id, at]) => ({ id, at }));
    b.sightingEmbeddings = [...this.embeddings.values()];
    b.cameraEvents = [...this.cams.values()];
    return b;
  }
}

/** The shot fields a sighting keeps from its best shot. */
export type Shot = Pick<
  Sighting,
  "quality" | "box" | "frame" | "eventId" | "similarity" | "hasContext" | "attributes" | "contextBox"
>;

/**
 * A later shot of a track: the sighting's last-seen time and shot count move on, its person and
 * verdict follow the latest decision, and a better shot replaces the stored one (and its crop).
 */
export function trackUpdate(
  track: Sighting,
  shot: Shot,
  capturedAt: number,
  personId: string | null,
  verdict: Sighting["verdict"],
  /** This shot's capture time is the server's receive time: the sighting says so from then on. */
  clockSkewed = false,
  /** The link's grade and the reason for no link, when this shot decides them. */
  link?: { grade: Grade | null; unlinkedReason: string | null },
): { set: Partial<Sighting>; better: boolean } {
  const better = shot.quality > track.quality;
  return {
    set: {
      lastSeenAt: Math.max(track.lastSeenAt, capturedAt),
      ...(clockSkewed && !track.clockSkewed ? { clockSkewed: true } : {}),
      shots: track.shots + 1,
      personId,
      verdict,
      ...(link ?? {}),
      ...(better ? shot : {}),
    },
    better,
  };
}

export interface PlannerDeps {
  gallery: Gallery;
  config: Config;
  regulars: Regulars;
  ids: IdAllocator;
  cooldown: Cooldown;
  cameraSensitive: (agentId: string, cameraId: string) => boolean;
  webhooks: () => readonly Webhook[];
  /** Operators' mutes, kept current by the API (alerts/mutes.ts). */
  mutes?: MuteSet;
  /** Unmatched faces waiting to recur (identify/creation.ts). */
  candidates: CandidatePool;
  /** The persons a track must not be linked to (identify/exclusions.ts; retried by the caller). */
  excludedFor: (trackKey: string) => Promise<ReadonlySet<string>>;
  /** The stored sighting of a track last seen at or after `since` (retried by the caller). */
  findTrack: (agentId: string, cameraId: string, trackId: string, since: number) => Promise<Sighting | undefined>;
  /** A stored sighting (a candidate about to be promoted is checked to be one still; retried by the caller). */
  sighting: (id: string) => Promise<Sighting | undefined>;
  /** A stored sighting's face crop (a promoted candidate's face becomes a representative). */
  sightingCrop: (id: string) => Promise<Buffer | undefined>;
  /** Whether the person is a regular at the camera (retried by the caller). */
  isRegular: (personId: string, agentId: string, cameraId: string, at: number) => Promise<boolean>;
  /** Index search time per face, seconds. */
  onSearch?: (seconds: number) => void;
}

/** A sighting's changes: into the batch's updates unless the batch inserts it anyway. */
export function touchSighting(plan: BatchPlan, s: Sighting, set: Partial<Sighting>): void {
  plan.sightingById.set(s.id, s);
  if (plan.newSightingIds.has(s.id)) return;
  plan.updates.set(s.id, { ...(plan.updates.get(s.id) ?? {}), ...set });
  if (!plan.updatedSightings.includes(s)) plan.updatedSightings.push(s);
}

/** The shot an event brings to its sighting. */
export function shotOf(v: ValidEvent, config: Config, quality: number, similarity: number | null): Shot {
  const { e } = v;
  const hasContext = !!v.contextJpeg && config.ingest.storeContextCrops;
  return {
    quality,
    box: e.box,
    frame: e.frame,
    eventId: e.eventId,
    similarity,
    hasContext,
    attributes: e.attributes ?? null,
    // The region the stored context crop shows (with the crop: a better shot replaces both).
    contextBox: hasContext ? (e.contextBox ?? null) : null,
  };
}

export function newPerson(d: PlannerDeps, eventId: string, camera: string, at: number): Person {
  const n = d.ids.nextAutoNumber();
  return {
    id: derivedId(eventId, "person"),
    name: `Unknown #${n}`,
    kind: "auto",
    list: null,
    meta: {},
    autoNumber: n,
    cameraId: camera,
    createdAt: at,
    updatedAt: at,
    lastSeenAt: at,
    sightingCount: 0,
  };
}

export function queueCrops(plan: BatchPlan, config: Config, sightingId: string, v: ValidEvent): void {
  plan.crops.push({ kind: "sightings", id: sightingId, jpeg: v.faceJpeg });
  if (v.contextJpeg && config.ingest.storeContextCrops)
    plan.crops.push({ kind: "context", id: sightingId, jpeg: v.contextJpeg });
}

export function addRepresentative(
  plan: BatchPlan,
  d: PlannerDeps,
  personId: string,
  f: {
    sightingId: string;
    camera: string;
    capturedAt: number;
    quality: number;
    vector: Float32Array;
    jpeg: Buffer;
    replace?: number;
  },
): void {
  const id = d.ids.nextFaceId();
  const face = {
    id,
    personId,
    source: "sighting" as const,
    cameraId: f.camera,
    quality: f.quality,
    sightingId: f.sightingId,
    createdAt: f.capturedAt,
    embedding: f.vector,
  };
  plan.batch.newFaces.push(face);
  if (f.replace !== undefined) plan.batch.deletedFaceIds.push(f.replace);
  const person = plan.newPersons.get(personId) ?? d.gallery.person(personId);
  const global = d.config.identify.matching === "global" || person?.kind === "enrolled" || !!person?.list;
  plan.faces.push({
    id,
    personId,
    quality: face.quality,
    vector: f.vector,
    scopeCamera: global ? null : face.cameraId,
  });
  plan.repTouched.add(personId);
  plan.crops.push({ kind: "faces", id, jpeg: f.jpeg });
}
