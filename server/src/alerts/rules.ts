/** Friend-or-foe verdicts and which alerts a sighting raises. Pure logic. */
import type { AlertType, Grade, ListName, PersonKind, Verdict } from "../domain/types.ts";

const GRADE_RANK: Record<Grade, number> = { possible: 0, likely: 1, strong: 2 };

/** Whether a match's grade is at least `min` (no grade: never). */
export const gradeAtLeast = (grade: Grade | null | undefined, min: Grade): boolean =>
  !!grade && GRADE_RANK[grade] >= GRADE_RANK[min];

export function verdictOf(list: ListName | null | undefined, regular: boolean): Verdict {
  if (list === "foe") return "foe";
  if (list === "friend") return "friend";
  return regular ? "regular" : "none";
}

export interface AlertInput {
  verdict: Verdict;
  /** null: no person (a face too poor to found one). */
  personKind: PersonKind | null;
  cameraSensitive: boolean;
  unknownAtSensitive: boolean;
  /** The grade of the match that linked the sighting to its person. */
  grade?: Grade | null;
  /** A foe alert needs at least this grade (the setting alerts.foeMinGrade); absent: any. */
  foeMinGrade?: Grade;
}

/**
 * Alerts a new sighting raises: a foe anywhere, when the match is sure enough (alerts.foeMinGrade);
 * an unknown (automatic, unlisted, not regular) at a sensitive camera.
 */
export function alertsFor(i: AlertInput): AlertType[] {
  if (i.verdict === "foe") return !i.foeMinGrade || gradeAtLeast(i.grade, i.foeMinGrade) ? ["foe"] : [];
  if (i.unknownAtSensitive && i.cameraSensitive && i.verdict === "none" && i.personKind !== "enrolled") {
    return ["unknown_at_sensitive_camera"];
  }
  return [];
}

/** Suppresses repeats of the same alert for the same person (or track) and camera within a cooldown. */
export class Cooldown {
  private readonly last = new Map<string, number>();
  constructor(private readonly ms: number) {}
  allow(key: string, at: number): boolean {
    const prev = this.last.get(key);
    if (prev !== undefined && Math.abs(at - prev) < this.ms) return false;
    if (this.last.size > 100_000) this.last.clear();
    this.last.set(key, at);
    return true;
  }
}
