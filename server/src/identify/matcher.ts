/** From index neighbours to person candidates and a decision. Pure logic. */
import type { Neighbor } from "./hnswIndex.ts";

export interface Candidate {
  personId: string;
  similarity: number;
  /** The representative face that matched best. */
  faceId: number;
}

/** One candidate per person (its best face), most similar first. */
export function candidatesFrom(
  neighbors: Iterable<Neighbor>,
  personOf: (label: number) => string | undefined,
  limit = 10,
): Candidate[] {
  const best = new Map<string, Candidate>();
  for (const n of neighbors) {
    const personId = personOf(n.label);
    if (!personId) continue;
    const c = best.get(personId);
    if (!c || n.similarity > c.similarity) best.set(personId, { personId, similarity: n.similarity, faceId: n.label });
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, limit);
}

export type MatchDecision =
  | { kind: "match"; candidate: Candidate }
  | { kind: "new" }
  /** Unmatched, but too poor a face to found a new person on. */
  | { kind: "unidentified" };

export function decide(
  best: Candidate | undefined,
  quality: number,
  opts: { threshold: number; minQualityNewPerson: number },
): MatchDecision {
  if (best && best.similarity >= opts.threshold) return { kind: "match", candidate: best };
  return quality >= opts.minQualityNewPerson ? { kind: "new" } : { kind: "unidentified" };
}
