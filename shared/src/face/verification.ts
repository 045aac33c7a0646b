/**
 * Verification statistics for labelled similarity scores: best-accuracy threshold, accuracy at a
 * threshold, TAR at a given FAR. Pure functions shared by the LFW benchmark and tests.
 */

export interface Scored {
  score: number;
  same: boolean;
}

export function accuracyAt(items: readonly Scored[], threshold: number): number {
  let ok = 0;
  for (const it of items) if (it.score >= threshold === it.same) ok++;
  return ok / items.length;
}

/** The threshold with the best accuracy, searched over the midpoints between sorted scores. */
export function bestThreshold(items: readonly Scored[]): { threshold: number; accuracy: number } {
  const s = [...items].sort((a, b) => a.score - b.score);
  // Sweep: threshold below s[i] means items i.. are predicted "same".
  // Threshold below every score: all predicted "same", so the positives are the correct ones.
  let correct = s.filter((x) => x.same).length;
  let best = { threshold: s.length ? s[0].score - 1e-6 : 0, accuracy: correct / s.length };
  for (let i = 0; i < s.length; i++) {
    // Moving the threshold above s[i]: it becomes "different".
    correct += s[i].same ? -1 : 1;
    if (i + 1 < s.length && s[i + 1].score === s[i].score) continue;
    const t = i + 1 < s.length ? (s[i].score + s[i + 1].score) / 2 : s[i].score + 1e-6;
    const acc = correct / s.length;
    if (acc > best.accuracy) best = { threshold: t, accuracy: acc };
  }
  return best;
}

/** True-accept rate at the smallest threshold whose false-accept rate is <= far. */
export function tarAtFar(items: readonly Scored[], far: number): { tar: number; threshold: number } {
  const neg = items
    .filter((x) => !x.same)
    .map((x) => x.score)
    .sort((a, b) => b - a);
  const pos = items.filter((x) => x.same).map((x) => x.score);
  const allowed = Math.floor(far * neg.length);
  // Threshold just above the (allowed+1)-th highest impostor score.
  const threshold = neg.length > allowed ? neg[allowed] + 1e-9 : Number.NEGATIVE_INFINITY;
  const tar = pos.filter((s) => s >= threshold).length / pos.length;
  return { tar, threshold };
}
