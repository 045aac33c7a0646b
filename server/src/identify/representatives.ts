/**
 * Which embeddings a person keeps: at most `max` learned from sightings (enrolled photos are always
 * kept), of high quality and different from each other, so the index grows with people, not with time.
 * Pure logic; the gallery applies the decision.
 */
import { dot } from "./vector.ts";

export interface Rep {
  id: number;
  quality: number;
  source: "enrol" | "sighting";
  vector: Float32Array;
}

export interface RepPolicy {
  /** Learned (sighting) representatives per person. */
  max: number;
  /** Cosine above which a candidate adds nothing new (same pose, same light). */
  nearDuplicate: number;
  /** Faces below this quality never become representatives. */
  minQuality: number;
  /** How much redundancy costs against quality when choosing which one to drop. */
  diversityWeight: number;
}

export const DEFAULT_REP_POLICY: RepPolicy = { max: 8, nearDuplicate: 0.92, minQuality: 0.35, diversityWeight: 0.5 };

export type RepDecision = { add: false; reason: string } | { add: true; replace?: number };

export interface RepMeta {
  id: number;
  quality: number;
  source: "enrol" | "sighting";
}

/**
 * The same decision without reading vectors when the search already told us the nearest representative
 * (the matched face): near duplicates and a set with room are decided from metadata alone; only a full
 * set needs the vectors (diversity). This keeps the hot path off the index's getPoint.
 */
export function chooseRepresentativeFast(
  existing: readonly RepMeta[],
  nearest: { id: number; similarity: number },
  cand: { quality: number; vector: Float32Array },
  policy: RepPolicy,
  vectors: () => Rep[],
): RepDecision {
  if (cand.quality < policy.minQuality) return { add: false, reason: "low quality" };
  if (nearest.similarity >= policy.nearDuplicate) {
    const r = existing.find((x) => x.id === nearest.id);
    if (r?.source === "sighting" && cand.quality > r.quality + 0.05) return { add: true, replace: r.id };
    return { add: false, reason: "near duplicate" };
  }
  const learned = existing.filter((r) => r.source === "sighting");
  if (learned.length < policy.max) return { add: true };
  if (policy.max === 0) return { add: false, reason: "learning disabled" };
  // Utility is at most quality; a candidate that cannot beat the weakest one's upper bound is out.
  const minQ = Math.min(...learned.map((r) => r.quality));
  if (cand.quality <= minQ - policy.diversityWeight) return { add: false, reason: "set is full of better faces" };
  return chooseRepresentative(vectors(), cand, policy);
}

export function chooseRepresentative(
  existing: readonly Rep[],
  cand: { quality: number; vector: Float32Array },
  policy: RepPolicy = DEFAULT_REP_POLICY,
): RepDecision {
  if (cand.quality < policy.minQuality) return { add: false, reason: "low quality" };
  let nearest: Rep | undefined;
  let nearestSim = -1;
  for (const r of existing) {
    const s = dot(r.vector, cand.vector);
    if (s > nearestSim) {
      nearestSim = s;
      nearest = r;
    }
  }
  if (nearest && nearestSim >= policy.nearDuplicate) {
    // A better shot of a look we already have replaces it; enrolled photos stay.
    if (nearest.source === "sighting" && cand.quality > nearest.quality + 0.05)
      return { add: true, replace: nearest.id };
    return { add: false, reason: "near duplicate" };
  }
  const learned = existing.filter((r) => r.source === "sighting");
  if (learned.length < policy.max) return { add: true };
  if (policy.max === 0) return { add: false, reason: "learning disabled" };

  // Full: drop the learned one with the lowest utility (quality minus redundancy) if the candidate beats it.
  const utility = (q: number, v: Float32Array, skip: number) => {
    let red = -1;
    for (const r of existing) if (r.id !== skip && r.vector !== v) red = Math.max(red, dot(r.vector, v));
    return q - policy.diversityWeight * Math.max(0, red);
  };
  let worst: Rep | undefined;
  let worstU = Number.POSITIVE_INFINITY;
  for (const r of learned) {
    const u = utility(r.quality, r.vector, r.id);
    if (u < worstU) {
      worstU = u;
      worst = r;
    }
  }
  const candU = utility(cand.quality, cand.vector, worst!.id);
  if (candU > worstU + 0.02) return { add: true, replace: worst!.id };
  return { add: false, reason: "set is full of better faces" };
}

/**
 * Among several faces of one track (the shots of its template), the most useful to add: of those
 * chooseRepresentative would add, the one with the highest quality minus its redundancy with the
 * person's faces (diversityWeight x its best cosine to them). Undefined when none would be added.
 */
export function pickRepresentative(
  existing: readonly Rep[],
  cands: readonly { quality: number; vector: Float32Array }[],
  policy: RepPolicy = DEFAULT_REP_POLICY,
): { index: number; decision: RepDecision & { add: true } } | undefined {
  let best: { index: number; decision: RepDecision & { add: true } } | undefined;
  let bestU = Number.NEGATIVE_INFINITY;
  cands.forEach((c, index) => {
    const decision = chooseRepresentative(existing, c, policy);
    if (!decision.add) return;
    let red = 0;
    for (const r of existing) red = Math.max(red, dot(r.vector, c.vector));
    const u = c.quality - policy.diversityWeight * red;
    if (u > bestU) {
      bestU = u;
      best = { index, decision };
    }
  });
  return best;
}
