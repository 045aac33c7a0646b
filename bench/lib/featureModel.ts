/**
 * Benchmarks only: a FacePipeline whose embedder runs another feature model file (e.g. the int8
 * experiment of bench/quant-embedder.ts), with the same session options as the registry's. Everything
 * else (detector, landmarks, stage times) is the given pipeline's.
 */
import { Embedder } from "../../shared/src/face/embed.ts";
import type { FacePipeline } from "../../shared/src/face/pipeline.ts";
import { ort, ortSessionOptions } from "../../shared/src/models/registry.ts";

export async function withFeatureModel(p: FacePipeline, file: string, threads = 1): Promise<FacePipeline> {
  const session = await ort.InferenceSession.create(file, ortSessionOptions(threads));
  // `embedder` is read through `this` by embed / embedMany: an own property of a child object shadows it.
  return Object.create(p, { embedder: { value: new Embedder(session) } }) as FacePipeline;
}
