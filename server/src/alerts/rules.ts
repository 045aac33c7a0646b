/** Friend-or-foe verdicts and which alerts a sighting raises. Pure logic. */
import type { AlertType, ListName, PersonKind, Verdict } from "../domain/types.ts";

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
}

/** Alerts a new sighting raises: a foe anywhere; an unknown (automatic, unlisted, not regular) at a sensitive camera. */
export function alertsFor(i: AlertInput): AlertType[] {
  if (i.verdict === "foe") return ["foe"];
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
