/** API errors: `{"error": {"code", "message"}}` with precise statuses; ArgusError codes map here. */
import { ArgusError, type Logger } from "@argus/shared";
import type { Context, Next } from "koa";
import type { z } from "zod";
import { CursorError } from "../store/cursor.ts";
import { TimeoutError } from "../util/mutex.ts";

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

export const notFound = (what: string, id: string | number) =>
  new ApiError(404, "NOT_FOUND", `${what} '${id}' does not exist`);
export const badField = (field: string, message: string) =>
  new ApiError(400, "INVALID_ARGUMENT", `${field}: ${message}`, { field });

const ARGUS_STATUS: Record<string, number> = {
  IMAGE_EMPTY: 400,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_CORRUPT: 400,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_MANY_PIXELS: 413,
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  INVALID_ARGUMENT: 400,
  CONFIG_INVALID: 400,
};

/** 400 naming the first offending field of a zod error. */
export function fromZod(err: z.ZodError, where: string): ApiError {
  const i = err.issues[0];
  const field = i.path.length ? i.path.join(".") : where;
  return new ApiError(400, "INVALID_ARGUMENT", `${field}: ${i.message}`, { field });
}

export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, "NOT_FOUND", `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (e) {
      let status = 500;
      let body: { code: string; message: string; details?: Record<string, unknown> };
      if (e instanceof ApiError) {
        status = e.status;
        body = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
      } else if (e instanceof ArgusError) {
        status = ARGUS_STATUS[e.code] ?? 500;
        body = { code: e.code, message: e.message };
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
      } else {
        log.error({ err: (e as Error).message, stack: (e as Error).stack, path: ctx.path }, "request failed");
        body = { code: "INTERNAL", message: "internal error; see the server log" };
      }
      ctx.status = status;
      ctx.body = { error: body };
      if (status === 413) ctx.set("connection", "close");
    }
  };
}
