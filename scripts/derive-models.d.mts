/** Types of scripts/derive-models.mjs (plain JavaScript: it runs at `pnpm install`, before any TypeScript tooling). */
export function deriveDetector(bytes: Uint8Array): Uint8Array;
export function deriveBatch(bytes: Uint8Array, label: string): Uint8Array;
export function sha256(bytes: Uint8Array): string;
export const DERIVE: Record<string, (bytes: Uint8Array) => Uint8Array>;
export function deriveModels(
  manifest: { models: Record<string, { file: string; sha256: string; derivedFrom?: string }> },
  dir: string,
  options?: { update?: boolean; log?: (msg: string) => void },
): string[];
export function deriveEmbedder(bytes: Uint8Array): Uint8Array;
