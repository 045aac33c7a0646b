/**
 * Calibrated confidence for the embedding model: how likely a stranger's face scores at least `t`
 * against one gallery face (the impostor tail), and from it the chance that a stranger matches
 * somebody in a gallery of n faces (the false-positive identification rate, FPIR):
 *
 *   FPIR(t, n) = 1 - (1 - p(t))^n
 *
 * p(t) is measured once on LFW (bench/calibrate-lfw.ts): the empirical survival of impostor pair
 * scores where there are enough pairs, and above `u` an exponential tail p(t) = pu * exp(-(t-u)/beta)
 * fitted by least squares on log p, which extrapolates to the rare scores large galleries need.
 * Treating the n faces as independent overstates the risk for persons with several similar faces,
 * so thresholds err on the safe side. The fit ships in models/manifest.json beside the model.
 */
import { ArgusError } from "../errors.ts";
import { loadManifest, type Manifest } from "./registry.ts";

export interface ImpostorTail {
  /** What the fit was made from, for humans. */
  source: string;
  /** Empirical survival [score, P(impostor pair score >= score)], ascending score, up to u. */
  table: Array<[number, number]>;
  /** Above u: p(t) = pu * exp(-(t - u) / beta). */
  u: number;
  pu: number;
  beta: number;
}

/** P(one impostor pair scores >= t). */
export function pairFalseMatch(t: number, tail: ImpostorTail): number {
  if (t >= tail.u) return tail.pu * Math.exp(-(t - tail.u) / tail.beta);
  const tab = tail.table;
  if (t <= tab[0][0]) return tab[0][1];
  // Linear in log p between table points.
  for (let i = 1; i < tab.length; i++) {
    if (t <= tab[i][0]) {
      const [t0, p0] = tab[i - 1];
      const [t1, p1] = tab[i];
      const a = (t - t0) / (t1 - t0);
      return Math.exp(Math.log(p0) * (1 - a) + Math.log(p1) * a);
    }
  }
  return tail.pu;
}

/** The chance that a stranger scores >= t against at least one of n gallery faces. */
export function falsePositiveRate(t: number, galleryFaces: number, tail: ImpostorTail): number {
  const p = pairFalseMatch(t, tail);
  // 1 - (1-p)^n without losing the small values.
  return -Math.expm1(Math.max(1, galleryFaces) * Math.log1p(-Math.min(p, 1 - 1e-12)));
}

/** The lowest score whose FPIR at this gallery size is at most `target` (bisection; p falls with t). */
export function thresholdFor(target: number, galleryFaces: number, tail: ImpostorTail): number {
  let lo = -1;
  let hi = 1;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (falsePositiveRate(mid, galleryFaces, tail) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

export type Grade = "strong" | "likely" | "possible";
export const GRADES: readonly Grade[] = ["possible", "likely", "strong"];

export interface GradePolicy {
  /** FPIR at or below which a match is strong (e.g. 0.001). */
  strongFpir: number;
  /** FPIR at or below which a match is likely: the operating point (e.g. 0.01). */
  likelyFpir: number;
  /** FPIR at or below which a match is possible: shown in searches, never linked (e.g. 0.2). */
  possibleFpir: number;
  /** A second person within this similarity of the best makes the match one grade weaker. */
  margin: number;
}

export const DEFAULT_GRADES: GradePolicy = { strongFpir: 0.001, likelyFpir: 0.01, possibleFpir: 0.2, margin: 0.05 };

/**
 * The grade of a match: how unlikely a stranger would score this high in this gallery, and how
 * clearly it beats the second-best person. null: not even possible.
 */
export function gradeMatch(
  best: number,
  second: number | null,
  galleryFaces: number,
  tail: ImpostorTail,
  policy: GradePolicy = DEFAULT_GRADES,
): Grade | null {
  const fpir = falsePositiveRate(best, galleryFaces, tail);
  let level = fpir <= policy.strongFpir ? 2 : fpir <= policy.likelyFpir ? 1 : fpir <= policy.possibleFpir ? 0 : -1;
  if (level >= 0 && second !== null && best - second < policy.margin) level--;
  return level >= 0 ? GRADES[level] : null;
}

/** Grades ordered weakest first, for "at least" comparisons. */
export const gradeRank = (g: Grade | null): number => (g === null ? -1 : GRADES.indexOf(g));

/** The fit shipped for the feature model (models/manifest.json `calibration.feature`), checked against its sha256. */
export function featureCalibration(): ImpostorTail {
  const m = loadManifest() as Manifest & { calibration?: { feature?: { sha256: string; impostorTail: ImpostorTail } } };
  const c = m.calibration?.feature;
  if (!c || c.sha256 !== m.models.feature.sha256)
    throw new ArgusError(
      "MODEL_UNKNOWN",
      "models/manifest.json has no calibration for this feature model; run 'pnpm exec tsx bench/calibrate-lfw.ts --write'",
    );
  return c.impostorTail;
}
