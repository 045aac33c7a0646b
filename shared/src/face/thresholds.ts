/**
 * Operating points for cosine similarity of fr_feature embeddings with this pipeline, measured on
 * LFW View 2 folds 1-5 (../shared/data) by `pnpm --silent bench:lfw`. Re-run it after any change to
 * the pipeline and update these.
 *
 *   threshold  TAR      FAR      (3000 pairs, pooled)
 *   0.250      99.27%   0.53%
 *   0.274      99.13%   0.20%
 *   0.300      98.60%   0.07%
 *   0.350      97.73%   0.07%
 *   0.400      96.80%   0.00%
 *   0.450      94.47%   0.00%
 */
export const THRESHOLDS = {
  /**
   * 1:1 verification: same person if similarity >= this. The best-accuracy threshold chosen on the
   * folds was 0.266-0.281 across runs; accuracy 99.47% +- 0.36%.
   */
  verify: 0.27,
  /**
   * 1:N identification and automatic person linking. Stricter than `verify`, because with N
   * identities the chance that a stranger matches someone grows with N. bench/server-lfw.ts (774
   * enrolled LFW persons, 1,312 stranger probes): at 0.40 98.0% identified but 10.2% of strangers
   * matched someone; at 0.45 96.1% and 1.7%; at 0.50 92.4% and 0.15%. Raise it for large galleries.
   */
  identify: 0.45,
} as const;
