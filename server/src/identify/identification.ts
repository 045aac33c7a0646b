/**
 * Who is this face? The identification rules for one event, without I/O: a track already linked to
 * a person keeps it; otherwise the gallery (plus faces learned earlier in the same batch) is searched
 * and the best person at or above the threshold wins; an unmatched face founds a new automatic
 * person only when it is good enough, else it stays unidentified. Also: whether the face becomes
 * one of the person's representatives.
 */
import type { Gallery } from "./gallery.ts";
import { type Candidate, candidatesFrom, decide } from "./matcher.ts";
import {
  chooseRepresentative,
  chooseRepresentativeFast,
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

export interface IdentifyPolicy {
  threshold: number;
  minQualityNewPerson: number;
  /** Neighbours fetched per search. */
  k: number;
  matching: "global" | "camera";
}

export type Identification =
  /** The track's earlier shots were linked to this person. */
  | { kind: "track"; personId: string; similarity: number | null }
  | { kind: "match"; personId: string; similarity: number; nearest: { id: number; similarity: number } }
  | { kind: "new" }
  /** Unmatched, and too poor to found a person on. */
  | { kind: "unidentified" };

export interface FaceToIdentify {
  vector: Float32Array;
  quality: number;
  cameraId: string;
  /** The person the face's track is already linked to, if any. */
  trackPersonId: string | null;
}

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

/**
 * Options of identify(). `excluded`: persons the face's track must not be linked to (an operator's
 * "not X", identify/exclusions.ts `excludedFor(trackKey)`): the track's link to one is not kept, and
 * none of them is matched.
 */
export interface IdentifyOptions {
  excluded?: ReadonlySet<string>;
}

export function identify(
  face: FaceToIdentify,
  gallery: Gallery,
  pending: readonly PendingFace[],
  policy: IdentifyPolicy,
  opts: IdentifyOptions = {},
): Identification {
  const excluded = opts.excluded?.size ? opts.excluded : undefined;
  if (face.trackPersonId && !excluded?.has(face.trackPersonId))
    return {
      kind: "track",
      personId: face.trackPersonId,
      similarity: similarityTo(gallery, pending, face.trackPersonId, face.vector),
    };
  const neighbors = gallery.search(face.vector, policy.k, face.cameraId);
  for (const f of pending)
    if (policy.matching === "global" || f.scopeCamera === null || f.scopeCamera === face.cameraId)
      neighbors.push({ label: f.id, similarity: dot(f.vector, face.vector) });
  const pendingPerson = new Map(pending.map((f) => [f.id, f.personId]));
  const personOf = (l: number) => gallery.personOf(l) ?? pendingPerson.get(l);
  const [best] = candidatesFrom(
    neighbors,
    excluded
      ? (l) => {
          const p = personOf(l);
          return p && excluded.has(p) ? undefined : p;
        }
      : personOf,
    1,
  );
  const d = decide(best as Candidate | undefined, face.quality, policy);
  if (d.kind === "match")
    return {
      kind: "match",
      personId: d.candidate.personId,
      similarity: d.candidate.similarity,
      nearest: { id: d.candidate.faceId, similarity: d.candidate.similarity },
    };
  return d;
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
