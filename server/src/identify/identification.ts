/**
 * Who is this face? The identification rules for one event, without I/O: a track already linked to
 * a person keeps it; otherwise the gallery (plus faces learned earlier in the same batch) is searched
 * and the best person at or above the operating threshold wins (calibrated for the gallery's size:
 * calibrated.ts), graded with the margin to the second-best person; an unmatched face good enough to
 * found a person on is `new` (creation.ts decides whether it founds one now or waits as a candidate),
 * a poorer one is unidentified. Also: which face becomes one of the person's representatives.
 */
import type { Grade } from "./calibrated.ts";
import type { Gallery } from "./gallery.ts";
import { type Candidate, candidatesFrom, decide } from "./matcher.ts";
import {
  chooseRepresentative,
  chooseRepresentativeFast,
  pickRepresentative,
  type Rep,
  type RepDecision,
  type RepPolicy,
} from "./representatives.ts";
import { dot } from "./vector.ts";

/** A representative added earlier in the batch, not yet in the gallery. */
export interface PendingFace {
  id: number;
  personId: string;
  quality: number;
  vector: Float32Array;
  /** The camera scope of an automatic person in 'camera' matching; null: matched everywhere. */
  scopeCamera: string | null;
}

/** The operating threshold and grades at a gallery size (calibrated.ts; a fixed one in tests). */
export interface Confidence {
  threshold(faces: number): number;
  grade(best: number, second: number | null, faces: number): Grade | null;
}

/** A fixed threshold without grades (tests, and callers that want the old rule). */
export const fixedConfidence = (t: number): Confidence => ({ threshold: () => t, grade: () => null });

export interface IdentifyPolicy {
  /** A fixed threshold, used when `confidence` is not given. */
  threshold?: number;
  /** The calibrated threshold and grades (overrides `threshold`). */
  confidence?: Confidence;
  minQualityNewPerson: number;
  /** A face below minQualityNewPerson links only at this cosine or more (or the threshold if higher). */
  lowQualityThreshold?: number;
  /** Neighbours fetched per search. */
  k: number;
  matching: "global" | "camera";
}

export type Identification =
  /** The track's earlier shots were linked to this person. */
  | { kind: "track"; personId: string; similarity: number | null }
  | {
      kind: "match";
      personId: string;
      similarity: number;
      nearest: { id: number; similarity: number };
      /** How sure (null when the policy has no calibration). */
      grade?: Grade | null;
      /** The second-best person's similarity (null: none in the neighbours). */
      second?: number | null;
      /** The threshold it was decided at. */
      threshold?: number;
    }
  /** Unmatched, and good enough to found a person on (or to wait as a candidate). */
  | { kind: "new"; threshold?: number }
  /** Unmatched, and too poor to found a person on. */
  | { kind: "unidentified"; threshold?: number };

export interface FaceToIdentify {
  /** What the face is identified with: the track's template when the agent sent one, else the shot's embedding. */
  vector: Float32Array;
  quality: number;
  cameraId: string;
  /** The person the face's track is already linked to, if any. */
  trackPersonId: string | null;
  /** Persons this face's track must never be linked to (an operator's "not X"). */
  excluded?: ReadonlySet<string>;
}

/** The confidence of a policy (its calibration, else its fixed threshold). */
export const confidenceOf = (p: Pick<IdentifyPolicy, "threshold" | "confidence">): Confidence =>
  p.confidence ?? fixedConfidence(p.threshold ?? 0.45);

/** The person's representatives: in the gallery, and added earlier in the batch. */
export function repsOf(gallery: Gallery, pending: readonly PendingFace[], personId: string): Rep[] {
  const reps = gallery.hasPerson(personId) ? gallery.reps(personId) : [];
  for (const f of pending)
    if (f.personId === personId) reps.push({ id: f.id, quality: f.quality, source: "sighting", vector: f.vector });
  return reps;
}

/** Best cosine similarity of `vector` to any of the person's representatives (null: none). */
export function similarityTo(
  gallery: Gallery,
  pending: readonly PendingFace[],
  personId: string,
  vector: Float32Array,
) {
  let best: number | null = null;
  for (const r of repsOf(gallery, pending, personId)) {
    const s = dot(r.vector, vector);
    if (best === null || s > best) best = s;
  }
  return best;
}

export function identify(
  face: FaceToIdentify,
  gallery: Gallery,
  pending: readonly PendingFace[],
  policy: IdentifyPolicy,
): Identification {
  // An operator's "not X" (identify/exclusions.ts): the track's link to X is not kept, X is not matched.
  const excluded = face.excluded?.size ? face.excluded : undefined;
  if (face.trackPersonId && !excluded?.has(face.trackPersonId))
    return {
      kind: "track",
      personId: face.trackPersonId,
      similarity: similarityTo(gallery, pending, face.trackPersonId, face.vector),
    };
  const conf = confidenceOf(policy);
  const neighbors = gallery.search(face.vector, policy.k, face.cameraId);
  let pendingSearched = 0;
  for (const f of pending)
    if (policy.matching === "global" || f.scopeCamera === null || f.scopeCamera === face.cameraId) {
      neighbors.push({ label: f.id, similarity: dot(f.vector, face.vector) });
      pendingSearched++;
    }
  const pendingPerson = new Map(pending.map((f) => [f.id, f.personId]));
  const owner = (l: number) => {
    const p = gallery.personOf(l) ?? pendingPerson.get(l);
    return p && excluded?.has(p) ? undefined : p;
  };
  const [best, second] = candidatesFrom(neighbors, owner, 2);
  // The gallery's size as this search saw it: its scopes plus the batch's new faces.
  const faces = gallery.searchSize(face.cameraId) + pendingSearched;
  let threshold = conf.threshold(faces);
  if (face.quality < policy.minQualityNewPerson && policy.lowQualityThreshold !== undefined)
    threshold = Math.max(threshold, policy.lowQualityThreshold);
  const d = decide(best as Candidate | undefined, face.quality, {
    threshold,
    minQualityNewPerson: policy.minQualityNewPerson,
  });
  if (d.kind === "match") {
    const s2 = second?.similarity ?? null;
    return {
      kind: "match",
      personId: d.candidate.personId,
      similarity: d.candidate.similarity,
      nearest: { id: d.candidate.faceId, similarity: d.candidate.similarity },
      grade: conf.grade(d.candidate.similarity, s2, faces),
      second: s2,
      threshold,
    };
  }
  return { ...d, threshold };
}

/**
 * Whether the face joins the person's representatives: always for the face that founded the person;
 * later ones only when confidently the same person and useful (representatives.ts), and at most one
 * per person per batch.
 */
export function learnDecision(
  id: Identification,
  face: { quality: number; vector: Float32Array },
  gallery: Gallery,
  pending: readonly PendingFace[],
  o: { threshold: number; policy: RepPolicy; touchedInBatch: boolean },
): RepDecision {
  if (id.kind === "new") return { add: true };
  if (id.kind === "unidentified") return { add: false, reason: "no person" };
  if (id.similarity === null || id.similarity < o.threshold) return { add: false, reason: "not confident" };
  if (o.touchedInBatch) return { add: false, reason: "one per batch" };
  const personId = id.personId;
  const reps = () => repsOf(gallery, pending, personId);
  return id.kind === "match" && gallery.hasPerson(personId)
    ? chooseRepresentativeFast(gallery.repMeta(personId), id.nearest, face, o.policy, reps)
    : chooseRepresentative(reps(), face, o.policy);
}

/** A face the track offers as a representative: one of its shots (or the event's own shot). */
export interface ShotFace {
  quality: number;
  vector: Float32Array;
}

/**
 * learnDecision over several faces of the track (the shots its template was made of): the most useful
 * one (quality, and different from the person's faces) is chosen, not only the best shot. `pick` is
 * the index of the chosen face. One face: exactly learnDecision.
 */
export function learnFromShots(
  id: Identification,
  faces: readonly ShotFace[],
  gallery: Gallery,
  pending: readonly PendingFace[],
  o: { threshold: number; policy: RepPolicy; touchedInBatch: boolean },
): RepDecision & { pick?: number } {
  if (faces.length === 1) {
    const d = learnDecision(id, faces[0], gallery, pending, o);
    return d.add ? { ...d, pick: 0 } : d;
  }
  if (id.kind === "new") {
    // The founding face is always learned: the most useful shot, else the best one.
    const p = pickRepresentative([], faces, o.policy);
    const best = faces.reduce((b, f, i) => (f.quality > faces[b].quality ? i : b), 0);
    return { add: true, pick: p?.index ?? best };
  }
  if (id.kind === "unidentified") return { add: false, reason: "no person" };
  if (id.similarity === null || id.similarity < o.threshold) return { add: false, reason: "not confident" };
  if (o.touchedInBatch) return { add: false, reason: "one per batch" };
  const p = pickRepresentative(repsOf(gallery, pending, id.personId), faces, o.policy);
  return p ? { ...p.decision, pick: p.index } : { add: false, reason: "no useful shot" };
}
