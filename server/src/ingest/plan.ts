/**
 * Planning one batch of validated events into what the store commits at once: for each event,
 * identification (identify/), learning, friend-or-foe and alerts (alerts/), and the sighting it
 * makes or the track sighting it updates. Events of a batch are planned in order and see each
 * other's decisions (a new face founds one person; the next shot of that face links to it).
 */
import { planAlerts } from "../alerts/plan.ts";
import type { Regulars } from "../alerts/regulars.ts";
import { type Cooldown, verdictOf } from "../alerts/rules.ts";
import type { Config } from "../config/config.ts";
import { cameraKey, type Person, type Sighting, type Webhook } from "../domain/types.ts";
import type { Gallery } from "../identify/gallery.ts";
import { identify, learnDecision, type PendingFace } from "../identify/identification.ts";
import type { IdAllocator } from "../identify/ids.ts";
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
): { set: Partial<Sighting>; better: boolean } {
  const better = shot.quality > track.quality;
  return {
    set: {
      lastSeenAt: Math.max(track.lastSeenAt, capturedAt),
      ...(clockSkewed && !track.clockSkewed ? { clockSkewed: true } : {}),
      shots: track.shots + 1,
      personId,
      verdict,
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
  /** The stored sighting of a track last seen at or after `since` (retried by the caller). */
  findTrack: (agentId: string, cameraId: string, trackId: string, since: number) => Promise<Sighting | undefined>;
  /** Whether the person is a regular at the camera (retried by the caller). */
  isRegular: (personId: string, agentId: string, cameraId: string, at: number) => Promise<boolean>;
  /** Index search time per face, seconds. */
  onSearch?: (seconds: number) => void;
}

/** Plans one event into the batch; returns whether it made a sighting or updated its track's. */
export async function planEvent(v: ValidEvent, plan: BatchPlan, d: PlannerDeps): Promise<PlanOutcome> {
  const { e, vector, capturedAt } = v;
  const { config, gallery } = d;
  const batch = plan.batch;
  const quality = e.quality.score;
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

  // Who is it?
  const t0 = performance.now();
  const id = identify(
    { vector, quality, cameraId: camera, trackPersonId: track?.personId ?? null },
    gallery,
    plan.faces,
    config.identify,
  );
  if (id.kind !== "track") d.onSearch?.((performance.now() - t0) / 1000);
  let personId: string | null = null;
  let similarity: number | null = null;
  if (id.kind === "track" || id.kind === "match") ({ personId, similarity } = id);
  else if (id.kind === "new") {
    const n = d.ids.nextAutoNumber();
    const created: Person = {
      id: derivedId(e.eventId, "person"),
      name: `Unknown #${n}`,
      kind: "auto",
      list: null,
      meta: {},
      autoNumber: n,
      cameraId: camera,
      createdAt: capturedAt,
      updatedAt: capturedAt,
      lastSeenAt: capturedAt,
      sightingCount: 0,
    };
    batch.newPersons.push(created);
    plan.newPersons.set(created.id, created);
    personId = created.id;
  }

  const sightingId = track?.id ?? derivedId(e.eventId, "sighting");
  if (personId) {
    const learn = learnDecision(id, { quality, vector }, gallery, plan.faces, {
      threshold: config.identify.threshold,
      policy: config.identify.representatives,
      touchedInBatch: plan.repTouched.has(personId),
    });
    if (learn.add) addRepresentative(plan, d, personId, v, sightingId, learn.replace);
    plan.personSeen.set(personId, Math.max(plan.personSeen.get(personId) ?? 0, capturedAt));
  }

  // Friend or foe.
  const person = personId ? (plan.newPersons.get(personId) ?? gallery.person(personId)) : undefined;
  const regular = personId && !person?.list ? await d.isRegular(personId, e.agentId, e.cameraId, capturedAt) : false;
  const verdict = verdictOf(person?.list, regular);

  const hasContext = !!v.contextJpeg && config.ingest.storeContextCrops;
  const shot: Shot = {
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
  batch.eventIds.push({ eventId: e.eventId, sightingId, receivedAt: v.receivedAt });
  if (track) {
    const u = trackUpdate(track, shot, capturedAt, personId, verdict, v.clockSkewed);
    Object.assign(track, u.set);
    if (!plan.newSightingIds.has(track.id)) {
      plan.updates.set(track.id, { ...(plan.updates.get(track.id) ?? {}), ...u.set });
      if (!plan.updatedSightings.includes(track)) plan.updatedSightings.push(track);
    }
    plan.tracks.set(trackKey, track);
    plan.sightingById.set(track.id, track);
    if (u.better) {
      queueCrops(plan, config, track.id, v);
      // The history index searches the sighting by its best shot's embedding.
      const indexId = track.indexId ?? d.ids.nextSightingIndexId();
      if (track.indexId === null) {
        track.indexId = indexId;
        plan.updates.set(track.id, { ...(plan.updates.get(track.id) ?? {}), indexId });
      }
      plan.embeddings.set(track.id, { id: track.id, indexId, embedding: vector });
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
    grade: null,
    unlinkedReason: personId ? null : "low_quality",
    indexId: d.ids.nextSightingIndexId(),
    ...shot,
  };
  plan.embeddings.set(s.id, { id: s.id, indexId: s.indexId!, embedding: vector });
  batch.newSightings.push(s);
  plan.newSightingIds.add(s.id);
  plan.tracks.set(trackKey, s);
  plan.sightingById.set(s.id, s);
  queueCrops(plan, config, s.id, v);

  // Alerts: only for a new sighting (one per pass in front of the camera).
  const planned = planAlerts(s, person?.kind ?? null, v.receivedAt, {
    cameraSensitive: d.cameraSensitive(e.agentId, e.cameraId),
    unknownAtSensitive: config.alerts.unknownAtSensitive,
    cooldown: d.cooldown,
    webhooks: d.webhooks(),
  });
  batch.alerts.push(...planned.alerts);
  batch.deliveries.push(...planned.deliveries);
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
  v: ValidEvent,
  sightingId: string,
  replace?: number,
): void {
  const id = d.ids.nextFaceId();
  const face = {
    id,
    personId,
    source: "sighting" as const,
    cameraId: cameraKey(v.e.agentId, v.e.cameraId),
    quality: v.e.quality.score,
    sightingId,
    createdAt: v.capturedAt,
    embedding: v.vector,
  };
  plan.batch.newFaces.push(face);
  if (replace !== undefined) plan.batch.deletedFaceIds.push(replace);
  const person = plan.newPersons.get(personId) ?? d.gallery.person(personId);
  const global = d.config.identify.matching === "global" || person?.kind === "enrolled" || !!person?.list;
  plan.faces.push({
    id,
    personId,
    quality: face.quality,
    vector: v.vector,
    scopeCamera: global ? null : face.cameraId,
  });
  plan.repTouched.add(personId);
  plan.crops.push({ kind: "faces", id, jpeg: v.faceJpeg });
}
