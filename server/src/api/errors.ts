/**
 * API errors: `{"error": {"code", "message", "details"?}}` with precise statuses. The one place
 * where domain errors (errors.ts), the face pipeline's ArgusError codes and HTTP-level refusals
 * (ApiError) become HTTP statuses.
 */
import { ArgusError, formatSchemaIssue, type Logger, zodIssues } from "@argus/shared";
import { ArchiveError } from "@argus/shared/enrol/archive";
import type { Context, Next } from "koa";
import type { z } from "zod";
import { DomainError, type DomainErrorKind } from "../domain/errors.ts";
import { CursorError } from "../store/cursor.ts";
import { TimeoutError } from "../util/mutex.ts";

/** A refusal that only exists at the HTTP level (CSRF, body size, media type, credentials). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const DOMAIN_STATUS: Record<DomainErrorKind, number> = {
  not_found: 404,
  conflict: 409,
  invalid_argument: 400,
  rate_limited: 429,
  unauthenticated: 401,
  busy: 503,
};

const ARGUS_STATUS: Record<string, number> = {
  IMAGE_EMPTY: 400,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_CORRUPT: 400,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_MANY_PIXELS: 413,
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  LOW_QUALITY: 422,
  INVALID_ARGUMENT: 400,
  CONFIG_INVALID: 400,
};

/** Codes whose details are for the client (the faces found, the quality and the floor); others may name files. */
const ARGUS_DETAILS = new Set(["MULTIPLE_FACES", "LOW_QUALITY"]);

/**
 * 400 naming the first offending field of a zod error, in the shared formatter's words. The value
 * is not echoed (it may be a password).
 */
export function fromZod(err: z.ZodError, where: string): ApiError {
  const i = zodIssues(err)[0];
  const field = i.path || where;
  return new ApiError(400, "INVALID_ARGUMENT", formatSchemaIssue({ ...i, path: field }), { field });
}

/** Counts each refusal by status and code: both come from closed sets in the code, never from input. */
export type RefusalCounter = (status: number, code: string) => void;

export function errorMiddleware(log: Logger, refused: RefusalCounter = () => {}) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, "NOT_FOUND", `no route for ${ctx.method} ${ctx.path}`);
      }
      // The router's own 405 (a path of other methods, e.g. `/agents/.` normalized to `/agents/`) is a JSON error too.
      if (ctx.status === 405 && typeof ctx.body === "string") {
        throw new ApiError(405, "METHOD_NOT_ALLOWED", `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (e) {
      let status = 500;
      let body: { code: string; message: string; details?: Record<string, unknown> };
      if (e instanceof ApiError || e instanceof DomainError) {
        status = e instanceof ApiError ? e.status : DOMAIN_STATUS[e.kind];
        body = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
        const retry = e.details?.retryAfterSeconds;
        if ((status === 429 || status === 503) && typeof retry === "number") ctx.set("retry-after", String(retry));
      } else if (e instanceof ArgusError) {
        status = ARGUS_STATUS[e.code] ?? 500;
        body = {
          code: e.code,
          message: e.message,
          ...(e.details && ARGUS_DETAILS.has(e.code) ? { details: e.details } : {}),
        };
      } else if (e instanceof ArchiveError) {
        status = 422;
        body = { code: e.code, message: e.message, ...(Object.keys(e.details).length ? { details: e.details } : {}) };
      } else if (e instanceof CursorError) {
        status = 400;
        body = {
          code: "INVALID_ARGUMENT",
          message: "cursor: malformed (use nextCursor from a previous page)",
          details: { field: "cursor" },
        };
      } else if (e instanceof TimeoutError) {
        status = 503;
        body = { code: "BUSY", message: "the server is busy (the database may be unavailable); retry shortly" };
        ctx.set("retry-after", "5");
      } else {
        log.error({ err: (e as Error).message, stack: (e as Error).stack, path: ctx.path }, "request failed");
        body = { code: "INTERNAL", message: "internal error; see the server log" };
      }
      ctx.status = status;
      ctx.body = { error: body };
      refused(status, body.code);
      if (status === 413) ctx.set("connection", "close");
    }
  };
}
