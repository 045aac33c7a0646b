/**
 * Cautious creation inside a batch (identify/creation.ts has the rules): the candidate index follows
 * each sighting, and a founded person takes the candidates that recurred with it.
 */
import type { Grade, Person, Sighting } from "../domain/types.ts";
import type { CandidateHit } from "../identify/creation.ts";
import { repsOf } from "../identify/identification.ts";
import { chooseRepresentative } from "../identify/representatives.ts";
import { addRepresentative, type BatchPlan, type PlannerDeps, touchSighting } from "./batch.ts";

/** Promoted candidates' faces a new person learns besides its founding face, at most. */
const PROMOTED_REPS = 2;

/** The candidate index follows the sighting: in it while a candidate (with its latest embedding), out otherwise. */
export function candidateFollows(
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
export async function stillCandidates(
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

/**
 * The founded person takes the recurring candidates: each is linked (personId, graded similarity to
 * the founding face, no unlinked reason), leaves the candidate index, and the most useful of their
 * faces join the founding one as representatives. Returns the latest time they were seen.
 */
export async function promote(
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
