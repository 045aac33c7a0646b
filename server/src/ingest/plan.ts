/**
 * Planning one batch of validated events into what the store commits at once: for each event,
 * the face check, identification (identify/), cautious creation of automatic persons (candidates
 * and their promotion, identify/creation.ts), learning, friend-or-foe and alerts (alerts/), and the
 * sighting it makes or the track sighting it updates. Events of a batch are planned in order and see
 * each other's decisions (a face founds one person; the next shot of that face links to it; a
 * candidate waits for the next one).
 */

import { planAlerts } from "../alerts/plan.ts";
import { verdictOf } from "../alerts/rules.ts";
import { cameraKey, type Grade, type Person, type Sighting } from "../domain/types.ts";
import { runtimeCalibration } from "../identify/calibrated.ts";
import { type CandidateHit, enoughToPromote, recurring, strongTrack } from "../identify/creation.ts";
import { trackKeyOf } from "../identify/exclusions.ts";
import { type Identification, identify, learnFromShots, type ShotFace } from "../identify/identification.ts";
import { derivedId } from "../util/ids.ts";
import {
  addRepresentative,
  type BatchPlan,
  newPerson,
  type PlannerDeps,
  type PlanOutcome,
  queueCrops,
  shotOf,
  touchSighting,
  trackUpdate,
} from "./batch.ts";
import { candidateFollows, promote, stillCandidates } from "./candidates.ts";
import { planNotAFace } from "./notAFace.ts";
import type { ValidEvent } from "./validate.ts";

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
