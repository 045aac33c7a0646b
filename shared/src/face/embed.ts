/**
 * Embeddings with fr_feature.onnx: aligned 112x112 RGB, (v-127)/128, CHW in; 512 floats out,
 * L2-normalized here so that cosine similarity is a dot product.
 */
import type { InferenceSession } from "onnxruntime-node";
import { ort } from "../models/registry.ts";
import { ALIGN_SIZE } from "./align.ts";

export const EMBEDDING_DIM = 512;
const FACE_FLOATS = 3 * ALIGN_SIZE * ALIGN_SIZE;

export function l2normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Cosine similarity of two L2-normalized vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Faces per model run. bench:speed (batching): time per face is flat from a batch of 2 on, so
 * larger batches only hold more memory.
 */
export const MAX_EMBED_BATCH = 16;

export class Embedder {
  /** `session` takes a batch of faces (models/fr_feature.batch.onnx; the original takes one at a time). */
  constructor(private readonly session: InferenceSession) {}

  /** Embeds `count` aligned faces stored back to back in `faces` (CHW each), MAX_EMBED_BATCH per model run. */
  async embed(faces: Float32Array, count: number): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < count; i += MAX_EMBED_BATCH) {
      const n = Math.min(MAX_EMBED_BATCH, count - i);
      const view = faces.subarray(i * FACE_FLOATS, (i + n) * FACE_FLOATS);
      const r = await this.session.run({ input: new ort.Tensor("float32", view, [n, 3, ALIGN_SIZE, ALIGN_SIZE]) });
      const d = r.output.data as Float32Array;
      for (let k = 0; k < n; k++) out.push(l2normalize(d.slice(k * EMBEDDING_DIM, (k + 1) * EMBEDDING_DIM)));
    }
    return out;
  }
}

/** Float32 little-endian bytes of an embedding, base64: the compact wire and storage form. */
export function embeddingToBase64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

export function embeddingFromBase64(s: string): Float32Array {
  const buf = Buffer.from(s, "base64");
  if (buf.length % 4 !== 0) throw new RangeError(`embedding of ${buf.length} bytes is not a whole number of floats`);
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
