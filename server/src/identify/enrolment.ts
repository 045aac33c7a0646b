/**
 * Which face of an enrolment photo to enrol, and what to tell the operator about it. Pure logic.
 *
 * About one LFW photo in eight (163 of 1,344 sampled) shows more than one face: a bystander,
 * smaller or cut by the border. The photo's subject is the dominant face by size and centrality:
 *
 *   prominence = box area x (1 - distance of the box center from the photo center / half the diagonal)^2
 *
 * and a face is dominant when its prominence is at least `dominance` (identify.enrol.dominance, 2)
 * times every other face's. On those LFW photos that resolves 157 of 163 (always the centred,
 * labelled face); the 6 left are two faces side by side near the center, which are ambiguous
 * (422 MULTIPLE_FACES listing each face's box and quality).
 */
import type { Gallery } from "./gallery.ts";
import type { Confidence } from "./identification.ts";
import { candidatesFrom } from "./matcher.ts";

type Box = readonly [number, number, number, number] | readonly number[];

/** How much a face stands out in its photo: its area, discounted by its distance from the center. */
export function prominence(box: Box, photo: { width: number; height: number }): number {
  const area = Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
  const half = Math.hypot(photo.width, photo.height) / 2;
  const d = Math.hypot((box[0] + box[2]) / 2 - photo.width / 2, (box[1] + box[3]) / 2 - photo.height / 2);
  const c = Math.max(0, 1 - d / half);
  return area * c * c;
}

/** The index of the dominant face, or undefined when no face dominates every other by `dominance`. */
export function dominantFace(
  faces: readonly { box: Box }[],
  photo: { width: number; height: number },
  dominance: number,
): number | undefined {
  if (faces.length === 0) return undefined;
  if (faces.length === 1) return 0;
  const p = faces.map((f) => prominence(f.box, photo));
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
  return p[order[0]] >= dominance * p[order[1]] ? order[0] : undefined;
}

export interface EnrolWarning {
  personId: string;
  similarity: number;
  grade: ReturnType<Confidence["grade"]>;
}

/**
 * Other persons the photo matches (at or above the operating threshold, most similar first): the
 * operator may be enrolling someone already known under another name.
 */
export function enrolWarnings(
  gallery: Gallery,
  embedding: Float32Array,
  personId: string,
  conf: Confidence,
  k: number,
): EnrolWarning[] {
  const faces = gallery.searchSize();
  const threshold = conf.threshold(faces);
  const cands = candidatesFrom(gallery.search(embedding, Math.max(k, 20)), gallery.personOf, 10);
  const others = cands.filter((c) => c.personId !== personId);
  return others
    .filter((c) => c.similarity >= threshold)
    .map((c, i) => ({
      personId: c.personId,
      similarity: c.similarity,
      // The margin is to the next person other than this one.
      grade: conf.grade(c.similarity, others[i + 1]?.similarity ?? null, faces),
    }));
}
