/** The calibrated confidence: the shipped impostor tail, thresholds per gallery size, grades. */
import { describe, expect, it } from "vitest";
import {
  falsePositiveRate,
  featureCalibration,
  gradeMatch,
  pairFalseMatch,
  thresholdFor,
} from "../src/models/calibration.ts";

describe("calibration", () => {
  const tail = featureCalibration();

  it("ships a fit for the installed feature model, continuous at the tail's start", () => {
    expect(tail.u).toBeGreaterThan(0.2);
    expect(tail.beta).toBeGreaterThan(0);
    expect(pairFalseMatch(tail.u - 1e-9, tail)).toBeCloseTo(pairFalseMatch(tail.u, tail), 6);
    // The chance falls as the score rises.
    const ps = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((t) => pairFalseMatch(t, tail));
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeLessThan(ps[i - 1]);
  });

  it("the threshold for a target FPIR meets it, and rises with the gallery", () => {
    let prev = -1;
    for (const n of [1, 10, 100, 1000, 10_000, 100_000]) {
      const t = thresholdFor(0.01, n, tail);
      expect(falsePositiveRate(t, n, tail)).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(falsePositiveRate(t - 0.005, n, tail)).toBeGreaterThan(0.01);
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    // LFW figures (bench/calibrate-lfw.ts): 774 one-photo persons at 0.45 measured 2.06% of strangers matched.
    expect(falsePositiveRate(0.45, 774, tail)).toBeGreaterThan(0.01);
    expect(falsePositiveRate(0.45, 774, tail)).toBeLessThan(0.05);
  });

  it("grades by the chance a stranger scores as high, one grade weaker when a second person is close", () => {
    const n = 1000;
    const strong = thresholdFor(0.001, n, tail) + 0.01;
    const likely = thresholdFor(0.01, n, tail) + 0.01;
    const possible = thresholdFor(0.2, n, tail) + 0.01;
    expect(gradeMatch(strong, null, n, tail)).toBe("strong");
    expect(gradeMatch(likely, null, n, tail)).toBe("likely");
    expect(gradeMatch(possible, null, n, tail)).toBe("possible");
    expect(gradeMatch(0.1, null, n, tail)).toBeNull();
    expect(gradeMatch(strong, strong - 0.02, n, tail)).toBe("likely");
    expect(gradeMatch(possible, possible - 0.01, n, tail)).toBeNull();
    // The same score is weaker in a larger gallery.
    expect(gradeMatch(likely, null, 100_000, tail)).not.toBe("likely");
  });
});
