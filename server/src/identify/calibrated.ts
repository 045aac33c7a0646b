/**
 * Runtime confidence: the operating threshold and the grade of a match, from the model's calibrated
 * impostor tail (shared/src/models/calibration.ts, the fit shipped in models/manifest.json).
 *
 * - threshold(n): the lowest cosine at which a stranger matches one of n gallery faces with at most
 *   `identify.targetFpir` chance, clamped to [identify.threshold, identify.maxThreshold]. It rises
 *   with the gallery (0.41 at 100 faces, 0.48 at 1,000, 0.55 at 10,000 for FPIR 1%).
 * - grade(best, second, n): strong / likely / possible by the FPIR of the best score at that size,
 *   one grade weaker when the second-best person is within `identify.grades.margin`.
 *
 * Pure given the tail; `runtimeCalibration(config.identify)` memoizes one per settings object so every
 * layer (ingestion, search, enrolment) uses the same one without wiring.
 */
import {
  featureCalibration,
  type Grade,
  type GradePolicy,
  gradeMatch,
  gradeRank,
  type ImpostorTail,
  thresholdFor,
} from "@argus/shared/models/calibration";
import type { Config } from "../config/config.ts";

export type { Grade };
export { gradeRank };

export interface ThresholdPolicy {
  targetFpir: number;
  /** identify.threshold */
  floor: number;
  /** identify.maxThreshold */
  ceiling: number;
  grades: Omit<GradePolicy, "likelyFpir">;
}

export class Calibrated {
  private memoN = -1;
  private memoT = 0;
  private readonly gradePolicy: GradePolicy;

  constructor(
    readonly tail: ImpostorTail,
    readonly policy: ThresholdPolicy,
  ) {
    this.gradePolicy = { ...policy.grades, likelyFpir: policy.targetFpir };
  }

  /** The calibrated threshold for `faces` gallery faces, before the floor and ceiling. */
  calibrated(faces: number): number {
    return thresholdFor(this.policy.targetFpir, Math.max(1, faces), this.tail);
  }

  /** The operating threshold at this gallery size (faces searched). */
  threshold(faces: number): number {
    if (faces === this.memoN) return this.memoT;
    const { floor, ceiling } = this.policy;
    const t = Math.min(Math.max(this.calibrated(faces), floor), Math.max(floor, ceiling));
    this.memoN = faces;
    this.memoT = t;
    return t;
  }

  /** How sure a match of cosine `best` is, with the second-best person at `second` (null: none). */
  grade(best: number, second: number | null, faces: number): Grade | null {
    return gradeMatch(best, second, Math.max(1, faces), this.tail, this.gradePolicy);
  }
}

const memo = new WeakMap<object, Calibrated>();
let shipped: ImpostorTail | undefined;

/** The impostor tail shipped for the feature model (read once). */
export const shippedTail = (): ImpostorTail => (shipped ??= featureCalibration());

/** The calibration of these identify settings (one per settings object). */
export function runtimeCalibration(
  identify: Pick<Config["identify"], "threshold" | "maxThreshold" | "targetFpir" | "grades">,
  tail?: ImpostorTail,
): Calibrated {
  let c = memo.get(identify);
  if (!c || (tail && c.tail !== tail)) {
    tail ??= shippedTail();
    c = new Calibrated(tail, {
      targetFpir: identify.targetFpir,
      floor: identify.threshold,
      ceiling: identify.maxThreshold,
      grades: identify.grades,
    });
    memo.set(identify, c);
  }
  return c;
}

/** Whether `grade` is at least `min`. */
export const gradeAtLeast = (grade: Grade | null, min: Grade): boolean => gradeRank(grade) >= gradeRank(min);
