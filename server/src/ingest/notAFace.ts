/** Events whose face check failed (the agent's faceCheck): kept as sightings of no person. */
import type { Sighting } from "../domain/types.ts";
import {
  type BatchPlan,
  type PlannerDeps,
  type PlanOutcome,
  queueCrops,
  shotOf,
  touchSighting,
  trackUpdate,
} from "./batch.ts";
import type { ValidEvent } from "./validate.ts";

/**
 * An event the agent's face check refused: stored as a sighting of nobody with the checks that failed
 * (searchable, nothing lost), never identified, learned from, a candidate or alerted on. A later
 * shot of a track already linked only counts as a shot.
 */
export function planNotAFace(
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
