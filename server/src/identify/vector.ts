/** Small vector helpers for 512-d float embeddings (hot path: plain loops, no allocation). */

export function dot(a: Float32Array | number[], b: Float32Array | number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** L2-normalizes in place; returns false for a zero or non-finite vector. */
export function normalize(v: Float32Array): boolean {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  if (!Number.isFinite(n) || n <= 0) return false;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return true;
}
