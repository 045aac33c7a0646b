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
   * 1:N identification and automatic person linking. Stricter, because with N identities the chance
   * of some false match grows with N: no impostor LFW pair reached 0.40 while 96.8% of genuine pairs
   * did. See bench/server-lfw.ts for rank-1 and false-match rates at gallery scale.
   */
  identify: 0.4,
} as const;
