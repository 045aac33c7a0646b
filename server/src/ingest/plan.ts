/**
 * Planning one batch of validated events into what the store commits at once: for each event,
 * the face check, identification (identify/), cautious creation of automatic persons (candidates
 * and their promotion, identify/creation.ts), learning, friend-or-foe and alerts (alerts/), and the
 * sighting it makes or the track sighting it updates. Events of a batch are planned in order and see
 * each other's decisions (a face founds one person; the next shot of that face links to it; a
 * candidate waits for the next one).
 */

import type { MuteSet } from "../alerts/mutes.ts";
import { planAlerts } from "../alerts/plan.ts";
import type { Regulars } from "../alerts/regulars.ts";
import { type Cooldown, verdictOf } from "../alerts/rules.ts";
import type { Config } from "../config/config.ts";
import { cameraKey, type Grade, type Person, type Sighting, type Webhook } from "../domain/types.ts";
import { runtimeCalibration } from "../identify/calibrated.ts";
import {
  type CandidateEntry,
  type CandidateHit,
  type CandidatePool,
  enoughToPromote,
  recurring,
  strongTrack,
} from "../identify/creation.ts";
import { trackKeyOf } from "../identify/exclusions.ts";
import type { Gallery } from "../identify/gallery.ts";
import {
  type Identification,
  identify,
  learnFromShots,
  type PendingFace,
  repsOf,
  type ShotFace,
} from "../identify/identification.ts";
import type { IdAllocator } from "../identify/ids.ts";
import { chooseRepresentative } from "../identify/representatives.ts";
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
type Shot = Pick<
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

/** Promoted candidates' faces a new person learns besides its founding face, at most. */
const PROMOTED_REPS = 2;

/** Plans one event into the batch; returns whether it made a sighting or updated its track's. */
export async function planEvent(v: ValidEvent, plan: BatchPlan, d: PlannerDeps): Promise<PlanOutcome> {
  const { e, capturedAt } = v;
  const { config, gallery } = d;
  const batch = plan.batch;
  const quality = e.quality.score;
  // The track's template identifies better than one shot (the agent averages its best aligned faces).
  const idVector = v.template ?? v.vector;
  const trackKey = `${e.agentId}|${e.cameraId}|${e.trackId}`;
  const windowMs = config.ingest.trackWindowSeconds * 1000;
  let track = plan.tracks.get(trackKey);
  if (!track && windowMs > 0) {
    const found = await d.findTrack(e.agentId, e.cameraId, e.trackId, capturedAt - windowMs);
    if (found && (found.personId === null || gallery.hasPerson(found.personId))) track = found;
  }
  plan.camera(e.cameraId, e.agentId, capturedAt);
  // Matching scopes and automatic persons' first camera are camera keys (cameras belong to agents).
  const camera = cameraKey(e.agentId, e.cameraId);
  const sightingId = track?.id ?? derivedId(e.eventId, "sighting");
  batch.eventIds.push({ eventId: e.eventId, sightingId, receivedAt: v.receivedAt });

  // Faces, not jackets: what the agent's face check refused is kept, linked to nobody.
  const check = e.faceCheck;
  if (check && !check.passed) {
    const reason = `not_a_face:${check.failed.join(",") || "failed"}`.slice(0, 200);
    return planNotAFace(v, plan, d, track, trackKey, sightingId, idVector, reason);
  }

  // Who is it?
  const conf = runtimeCalibration(config.identify);
  const t0 = performance.now();
  const id = identify(
    {
      vector: idVector,
      quality,
      cameraId: camera,
      trackPersonId: track?.personId ?? null,
      excluded: await d.excludedFor(trackKeyOf(e)),
    },
    gallery,
    plan.faces,
    {
      confidence: conf,
      minQualityNewPerson: config.identify.minQualityNewPerson,
      lowQualityThreshold: config.identify.lowQualityThreshold,
      k: config.identify.k,
      matching: config.identify.matching,
    },
  );
  if (id.kind !== "track") d.onSearch?.((performance.now() - t0) / 1000);
  let personId: string | null = null;
  let similarity: number | null = null;
  let grade: Grade | null = null;
  let unlinkedReason: string | null = null;
  let founded: Person | undefined;
  let promoted: Array<{ s: Sighting; hit: CandidateHit; grade: Grade | null }> = [];
  if (id.kind === "track") {
    ({ personId, similarity } = id);
    grade = track?.grade ?? null;
  } else if (id.kind === "match") {
    ({ personId, similarity } = id);
    grade = id.grade ?? null;
  } else if (id.kind === "new") {
    // Cautious creation: a strong track founds a person; any other face waits until it recurs.
    const create = config.identify.create;
    const self = {
      sightingId,
      trackKey,
      capturedAt: track?.capturedAt ?? capturedAt,
      lastSeenAt: Math.max(track?.lastSeenAt ?? capturedAt, capturedAt),
    };
    const found = plan.searchCandidates(d.candidates, idVector, config.identify.k, camera);
    const threshold = Math.max(create.minSimilarity, conf.threshold(found.size));
    const hits = recurring(found.hits, self, threshold, create.minGapSeconds * 1000);
    const strong = strongTrack(
      {
        quality: Math.max(quality, track?.quality ?? 0),
        faceCheck: check ? check.passed : null,
        frames: e.track?.frames ?? null,
        shots: Math.max(v.shots?.length ?? 0, (track?.shots ?? 0) + 1),
      },
      create,
    );
    if (strong || enoughToPromote(hits.length, create)) {
      promoted = (await stillCandidates(hits, plan, d)).map(({ s, hit }) => ({
        s,
        hit,
        grade: conf.grade(hit.similarity, null, found.size),
      }));
      if (strong || enoughToPromote(promoted.length, create)) {
        founded = newPerson(d, e.eventId, camera, capturedAt);
        batch.newPersons.push(founded);
        plan.newPersons.set(founded.id, founded);
        personId = founded.id;
      } else promoted = [];
    }
    if (!founded) unlinkedReason = "candidate";
  } else unlinkedReason = track?.unlinkedReason === "candidate" ? "candidate" : "low_quality"; // a poor later shot of a candidate leaves it one

  if (personId) {
    // Learning: the most useful of the track's shots (quality, diversity), not only its best one.
    // Without shots, what identified it: the template (the mean of its best faces) or the shot.
    const faces: ShotFace[] = v.shots ?? [{ quality, vector: idVector }];
    const learnAs: Identification = founded ? { kind: "new" } : id;
    const threshold =
      id.kind === "match" && id.threshold !== undefined ? id.threshold : conf.threshold(gallery.searchSize(camera));
    const learn = learnFromShots(learnAs, faces, gallery, plan.faces, {
      threshold,
      policy: config.identify.representatives,
      touchedInBatch: plan.repTouched.has(personId),
    });
    if (learn.add) {
      const f = faces[learn.pick ?? 0];
      addRepresentative(plan, d, personId, {
        sightingId,
        camera,
        capturedAt,
        quality: f.quality,
        vector: f.vector,
        jpeg: v.faceJpeg,
        replace: learn.replace,
      });
    }
    let seen = capturedAt;
    if (founded) seen = Math.max(seen, await promote(plan, d, founded, promoted));
    plan.personSeen.set(personId, Math.max(plan.personSeen.get(personId) ?? 0, seen));
  }

  // Friend or foe.
  const person = personId ? (plan.newPersons.get(personId) ?? gallery.person(personId)) : undefined;
  const regular = personId && !person?.list ? await d.isRegular(personId, e.agentId, e.cameraId, capturedAt) : false;
  const verdict = verdictOf(person?.list, regular);

  const shot = shotOf(v, config, quality, similarity);
  const alertContext = {
    cameraSensitive: d.cameraSensitive(e.agentId, e.cameraId),
    unknownAtSensitive: config.alerts.unknownAtSensitive,
    cooldown: d.cooldown,
    webhooks: d.webhooks(),
    foeMinGrade: config.alerts.foeMinGrade,
    mutes: d.mutes,
  };
  if (track) {
    const linkedNow = track.personId === null && personId !== null;
    const u = trackUpdate(track, shot, capturedAt, personId, verdict, v.clockSkewed, { grade, unlinkedReason });
    Object.assign(track, u.set);
    touchSighting(plan, track, u.set);
    plan.tracks.set(trackKey, track);
    if (u.better) queueCrops(plan, config, track.id, v);
    // The history index searches the sighting by its template (the latest covers most of the track),
    // else by its best shot's embedding.
    let embedding = plan.embeddings.get(track.id)?.embedding;
    if (u.better || v.template) {
      embedding = idVector;
      const indexId = track.indexId ?? d.ids.nextSightingIndexId();
      if (track.indexId === null) {
        track.indexId = indexId;
        touchSighting(plan, track, { indexId });
      }
      plan.embeddings.set(track.id, { id: track.id, indexId, embedding });
    }
    candidateFollows(plan, d, track, trackKey, camera, embedding);
    // A track linked to its person by a later shot: a foe is alerted now (one per pass).
    if (linkedNow) {
      const planned = planAlerts(track, person?.kind ?? null, v.receivedAt, { ...alertContext, only: ["foe"] });
      batch.alerts.push(...planned.alerts);
      batch.deliveries.push(...planned.deliveries);
    }
    return "updated";
  }

  const s: Sighting = {
    id: sightingId,
    personId,
    cameraId: e.cameraId,
    agentId: e.agentId,
    trackId: e.trackId,
    capturedAt,
    lastSeenAt: capturedAt,
    day: d.regulars.day(capturedAt),
    verdict,
    shots: 1,
    createdAt: v.receivedAt,
    clockSkewed: v.clockSkewed,
    grade,
    unlinkedReason,
    indexId: d.ids.nextSightingIndexId(),
    ...shot,
  };
  plan.embeddings.set(s.id, { id: s.id, indexId: s.indexId!, embedding: idVector });
  batch.newSightings.push(s);
  plan.newSightingIds.add(s.id);
  plan.tracks.set(trackKey, s);
  plan.sightingById.set(s.id, s);
  queueCrops(plan, config, s.id, v);
  candidateFollows(plan, d, s, trackKey, camera, idVector);

  // Alerts: only for a new sighting (one per pass in front of the camera).
  const planned = planAlerts(s, person?.kind ?? null, v.receivedAt, alertContext);
  batch.alerts.push(...planned.alerts);
  batch.deliveries.push(...planned.deliveries);
  return "stored";
}

/** A sighting's changes: into the batch's updates unless the batch inserts it anyway. */
function touchSighting(plan: BatchPlan, s: Sighting, set: Partial<Sighting>): void {
  plan.sightingById.set(s.id, s);
  if (plan.newSightingIds.has(s.id)) return;
  plan.updates.set(s.id, { ...(plan.updates.get(s.id) ?? {}), ...set });
  if (!plan.updatedSightings.includes(s)) plan.updatedSightings.push(s);
}

/** The candidate index follows the sighting: in it while a candidate (with its latest embedding), out otherwise. */
function candidateFollows(
  plan: BatchPlan,
  d: PlannerDeps,
  s: Sighting,
  trackKey: string,
  camera: string,
  embedding: Float32Array | undefined,
): void {
  if (s.unlinkedReason !== "candidate" || s.personId !== null) {
    plan.candidateAdds.delete(s.id);
    if (d.candidates.has(s.id)) plan.candidateRemoves.add(s.id);
    return;
  }
  const vector = embedding ?? plan.candidateAdds.get(s.id)?.vector ?? d.candidates.get(s.id)?.vector;
  if (!vector) return;
  plan.candidateRemoves.delete(s.id);
  plan.candidateAdds.set(s.id, {
    sightingId: s.id,
    trackKey,
    camera,
    capturedAt: s.capturedAt,
    lastSeenAt: s.lastSeenAt,
    quality: s.quality,
    vector,
  });
}

/**
 * The recurring candidates that are still waiting: the batch's own, or stored ones still without a
 * person (an operator may have moved or deleted one since it was indexed).
 */
async function stillCandidates(
  hits: CandidateHit[],
  plan: BatchPlan,
  d: PlannerDeps,
): Promise<Array<{ s: Sighting; hit: CandidateHit }>> {
  const out: Array<{ s: Sighting; hit: CandidateHit }> = [];
  for (const hit of hits) {
    const id = hit.entry.sightingId;
    const s = plan.sightingById.get(id) ?? (await d.sighting(id));
    if (s && s.personId === null && s.unlinkedReason === "candidate") out.push({ s, hit });
  }
  return out;
}

function newPerson(d: PlannerDeps, eventId: string, camera: string, at: number): Person {
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

/**
 * The founded person takes the recurring candidates: each is linked (personId, graded similarity to
 * the founding face, no unlinked reason), leaves the candidate index, and the most useful of their
 * faces join the founding one as representatives. Returns the latest time they were seen.
 */
async function promote(
  plan: BatchPlan,
  d: PlannerDeps,
  person: Person,
  promoted: Array<{ s: Sighting; hit: CandidateHit; grade: Grade | null }>,
): Promise<number> {
  let seen = 0;
  for (const { s, hit, grade } of promoted) {
    const set: Partial<Sighting> = {
      personId: person.id,
      unlinkedReason: null,
      similarity: hit.similarity,
      grade,
      verdict: "none",
    };
    Object.assign(s, set);
    touchSighting(plan, s, set);
    plan.candidateAdds.delete(s.id);
    if (d.candidates.has(s.id)) plan.candidateRemoves.add(s.id);
    if (!plan.tracks.has(hit.entry.trackKey)) plan.tracks.set(hit.entry.trackKey, s);
    seen = Math.max(seen, s.lastSeenAt);
  }
  // Their faces: the most useful ones, besides the founding face.
  const policy = d.config.identify.representatives;
  let added = 0;
  for (const { s, hit } of [...promoted].sort((a, b) => b.hit.entry.quality - a.hit.entry.quality)) {
    if (added >= Math.min(PROMOTED_REPS, policy.max)) break;
    const face = { quality: hit.entry.quality, vector: hit.entry.vector };
    const dec = chooseRepresentative(repsOf(d.gallery, plan.faces, person.id), face, policy);
    if (!dec.add || dec.replace !== undefined) continue;
    const jpeg = plan.crops.find((c) => c.kind === "sightings" && c.id === s.id)?.jpeg ?? (await d.sightingCrop(s.id));
    if (!jpeg) continue;
    addRepresentative(plan, d, person.id, {
      sightingId: s.id,
      camera: hit.entry.camera,
      capturedAt: s.capturedAt,
      quality: face.quality,
      vector: face.vector,
      jpeg,
    });
    added++;
  }
  return seen;
}

/** The shot an event brings to its sighting. */
function shotOf(v: ValidEvent, config: Config, quality: number, similarity: number | null): Shot {
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

/**
 * An event the agent's face check refused: stored as a sighting of nobody with the checks that failed
 * (searchable, nothing lost), never identified, learned from, a candidate or alerted on. A later
 * shot of a track already linked only counts as a shot.
 */
function planNotAFace(
  v: ValidEvent,
  plan: BatchPlan,
  d: PlannerDeps,
  track: Sighting | undefined,
  trackKey: string,
  sightingId: string,
  embedding: Float32Array,
  reason: string,
): PlanOutcome {
  const { e, capturedAt } = v;
  const { config } = d;
  const shot = shotOf(v, config, e.quality.score, null);
  if (track) {
    const nonFace = track.personId === null && !!track.unlinkedReason?.startsWith("not_a_face");
    const u = trackUpdate(
      track,
      shot,
      capturedAt,
      track.personId,
      track.verdict,
      v.clockSkewed,
      nonFace ? { grade: null, unlinkedReason: reason } : undefined,
    );
    // Only a track of non-faces takes a non-face shot as its best one.
    const set: Partial<Sighting> =
      nonFace || !u.better
        ? u.set
        : { lastSeenAt: u.set.lastSeenAt, shots: u.set.shots, ...(u.set.clockSkewed ? { clockSkewed: true } : {}) };
    Object.assign(track, set);
    touchSighting(plan, track, set);
    plan.tracks.set(trackKey, track);
    if (nonFace && u.better) {
      queueCrops(plan, config, track.id, v);
      const indexId = track.indexId ?? d.ids.nextSightingIndexId();
      if (track.indexId === null) {
        track.indexId = indexId;
        touchSighting(plan, track, { indexId });
      }
      plan.embeddings.set(track.id, { id: track.id, indexId, embedding });
    }
    return "updated";
  }
  const s: Sighting = {
    id: sightingId,
    personId: null,
    cameraId: e.cameraId,
    agentId: e.agentId,
    trackId: e.trackId,
    capturedAt,
    lastSeenAt: capturedAt,
    day: d.regulars.day(capturedAt),
    verdict: "none",
    shots: 1,
    createdAt: v.receivedAt,
    clockSkewed: v.clockSkewed,
    grade: null,
    unlinkedReason: reason,
    indexId: d.ids.nextSightingIndexId(),
    ...shot,
  };
  plan.embeddings.set(s.id, { id: s.id, indexId: s.indexId!, embedding });
  plan.batch.newSightings.push(s);
  plan.newSightingIds.add(s.id);
  plan.tracks.set(trackKey, s);
  plan.sightingById.set(s.id, s);
  queueCrops(plan, config, s.id, v);
  return "stored";
}

function queueCrops(plan: BatchPlan, config: Config, sightingId: string, v: ValidEvent): void {
  plan.crops.push({ kind: "sightings", id: sightingId, jpeg: v.faceJpeg });
  if (v.contextJpeg && config.ingest.storeContextCrops)
    plan.crops.push({ kind: "context", id: sightingId, jpeg: v.contextJpeg });
}

function addRepresentative(
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
