/**
 * Optional attributes: age (years) and gender with the package's SSR-Net models. Input: the box
 * grown 1.4x around its center, 64x64 RGB, ImageNet normalization. Both models share the
 * SSR-Net output layout; the soft stagewise regression below merges the stages.
 */
import type { InferenceSession } from "onnxruntime-node";
import { cropAffine, NORM_IMAGENET, type Pyramid, warpToTensor } from "../image/resample.ts";
import { ort } from "../models/registry.ts";
import { type Box, scaleBox, squareBox } from "./geometry.ts";

const SIZE = 64;
const STAGES = [
  "prob_stage_1",
  "prob_stage_2",
  "prob_stage_3",
  "stage1_delta_k",
  "stage2_delta_k",
  "stage3_delta_k",
  "index_offset_stage1",
  "index_offset_stage2",
  "index_offset_stage3",
];

/** SSR-Net soft stagewise regression with 3x3x3 bins, lambda_local = lambda_d = 1; result in [0, V]. */
export function ssrMerge(x: readonly number[], V: number): number {
  const s = 3;
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < s; i++) a += (i + x[12 + i]) * x[i];
  a /= s * (1 + x[9]);
  for (let i = 0; i < s; i++) b += (i + x[15 + i]) * x[3 + i];
  b /= s * (1 + x[9]) * (s * (1 + x[10]));
  for (let i = 0; i < s; i++) c += (i + x[18 + i]) * x[6 + i];
  c /= s * (1 + x[9]) * (s * (1 + x[10])) * (s * (1 + x[11]));
  return (a + b + c) * V;
}

export interface Attributes {
  age: number;
  /** 'male' or 'female', with the model's probability-like score for male in [0, 1]. */
  gender: "male" | "female";
  maleScore: number;
}

export class AttributeModel {
  constructor(
    private readonly age: InferenceSession,
    private readonly gender: InferenceSession,
  ) {}

  private async run(session: InferenceSession, input: Float32Array): Promise<number[]> {
    const out = await session.run({ input: new ort.Tensor("float32", input, [1, 3, SIZE, SIZE]) });
    const feat: number[] = [];
    for (const name of STAGES) feat.push(...(out[name].data as Float32Array));
    return feat;
  }

  async predict(src: Pyramid, box: Box): Promise<Attributes> {
    const c = scaleBox(squareBox(box), 1.4);
    const input = new Float32Array(3 * SIZE * SIZE);
    warpToTensor(
      src,
      cropAffine(c[0], c[1], c[2] - c[0], c[3] - c[1], SIZE, SIZE),
      SIZE,
      SIZE,
      input,
      0,
      NORM_IMAGENET,
    );
    const age = ssrMerge(await this.run(this.age, input), 101);
    const male = ssrMerge(await this.run(this.gender, input), 1);
    return { age: Math.round(age * 10) / 10, gender: male >= 0.5 ? "male" : "female", maleScore: male };
  }
}
