/** Types of scripts/quantize.mjs (plain JavaScript, like derive-models.mjs). */
export type Range = [number, number];
export interface Calibration {
  exponents: Record<string, number[]>;
  ranges: Record<string, Range>;
  biasShift?: Record<string, number[]>;
}
export interface Quantized {
  bytes: Uint8Array;
  convs: number;
  tensors: number;
}
export class QuantizeError extends Error {}
export function exposeActivations(bytes: Uint8Array, only?: string[]): Uint8Array;
export function activationParams(range: Range): { scale: number; zero: number };
export function quantizeQdq(
  bytes: Uint8Array,
  ranges: Record<string, Range>,
  opts?: { keepFloat?: string[] },
): Quantized;
export function equalize(bytes: Uint8Array, exponents: Record<string, number[]>): Uint8Array;
export function equalizationTensors(bytes: Uint8Array): string[];
export function equalizationExponents(
  bytes: Uint8Array,
  channelMax: Record<string, number[]>,
  alpha?: number,
): Record<string, number[]>;
export function mseRange(counts: ArrayLike<number>, lo: number, hi: number): Range;
export function convInputTensors(bytes: Uint8Array): string[];
export function biasCorrection(bytes: Uint8Array, inputMeans: Record<string, number[]>): Record<string, number[]>;
export function shiftBiases(bytes: Uint8Array, deltas: Record<string, number[]>): Uint8Array;
export function quantizeFromCalibration(
  bytes: Uint8Array,
  cal: Calibration,
  opts?: { keepFloat?: string[] },
): Quantized;
