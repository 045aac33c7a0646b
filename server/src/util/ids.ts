import { createHash, randomBytes } from "node:crypto";

/**
 * A UUID-shaped id derived from a seed: records made for an event get the same ids when the event is
 * processed again (redelivery after a crash), so a replay overwrites instead of duplicating.
 */
export function derivedId(seed: string, salt: string): string {
  const h = createHash("sha256").update(seed).update("\u0000").update(salt).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A random secret in URL-safe base64 (tokens, agent passwords, webhook secrets). */
export function secret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Tokens and agent passwords are 256-bit random values, so a fast hash suffices (no dictionary to guard against). */
export function hashSecret(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
