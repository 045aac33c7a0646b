/**
 * The domain's errors: what went wrong in terms of persons, users, agents and cameras, not HTTP.
 * Services throw these; api/errors.ts alone maps them to statuses. `code` is the stable code the
 * API returns; `details.field` names the offending input where there is one.
 */
export type DomainErrorKind =
  | "not_found"
  | "conflict"
  | "invalid_argument"
  | "rate_limited"
  | "unauthenticated"
  | "busy";

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string, id: string | number, field?: string) =>
  new DomainError("not_found", "NOT_FOUND", `${what} '${id}' does not exist`, field ? { field } : undefined);

export const invalidArgument = (field: string, message: string) =>
  new DomainError("invalid_argument", "INVALID_ARGUMENT", `${field}: ${message}`, { field });

export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError("conflict", code, message, details);

/** Refused for now; `retryAfterSeconds` says when to try again. */
export const rateLimited = (code: string, message: string, retryAfterSeconds: number) =>
  new DomainError("rate_limited", code, message, { retryAfterSeconds });

export const unauthenticated = (code: string, message: string) => new DomainError("unauthenticated", code, message);

/** Overloaded or degraded for now (503); `retryAfterSeconds`, when known, says when to try again. */
export const busy = (message: string, retryAfterSeconds?: number) =>
  new DomainError("busy", "BUSY", message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
