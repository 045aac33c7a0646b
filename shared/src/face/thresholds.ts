/**
 * Operating points for cosine similarity of fr_feature embeddings, measured on LFW View 2
 * (folds 1-5 of ../shared/data) by bench/lfw.ts. Re-run it after any change to the pipeline.
 * PROVISIONAL until the benchmark has been run on the final pipeline.
 */
export const THRESHOLDS = {
  /** Best-accuracy verification threshold (same person if similarity >= this). */
  verify: 0.32,
  /** Stricter threshold for 1:N identification and automatic person linking (lower false matches). */
  identify: 0.4,
} as const;
