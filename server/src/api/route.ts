/**
 * Routes are registered from the shared operation table, never by hand: the path, the role, the
 * input validation and the response status all come from the operation, so the router, the
 * OpenAPI document and the console cannot disagree. A handler gets validated inputs and returns
 * the response body (typed by the operation's response schema).
 */

import { type Operation, type OperationId, type Operations, operations } from "@argus/shared/api/index";
import type Router from "@koa/router";
import type { Context, Middleware } from "koa";
import type { z } from "zod";
import { requireRole } from "./auth.ts";
import { parseInput, readArchive, readImages, readJson } from "./body.ts";

type Params<O> = O extends { params: infer P extends z.ZodType } ? z.output<P> : Record<string, never>;
type Query<O> = O extends { query: infer Q extends z.ZodType } ? z.output<Q> : Record<string, never>;
type Body<O> = O extends { body: { type: "json"; schema: infer B extends z.ZodType } }
  ? z.output<B>
  : O extends { body: { type: "image" | "archive"; fields: readonly (infer F extends string)[] } }
    ? Record<F, Buffer>
    : undefined;

export interface Input<O> {
  params: Params<O>;
  query: Query<O>;
  body: Body<O>;
}

/** JSON responses return their body; 204 returns nothing; other types write ctx.body themselves. */
export type Handler<O> = O extends { response: { schema: infer R extends z.ZodType } }
  ? (ctx: Context, input: Input<O>) => Promise<z.input<R>> | z.input<R>
  : (ctx: Context, input: Input<O>) => Promise<void> | void;

/** `/api/v1/persons/{id}` -> `/api/v1/persons/:id` */
export const routerPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

export class Routes {
  private readonly mounted = new Set<OperationId>();

  constructor(
    readonly router: Router,
    private readonly opts: {
      /** Resolves the principal (401 without one); runs only on operations that need a role. */
      authenticate: Middleware;
      maxJsonBytes: number;
      maxJsonDepth: number;
      maxUploadBytes: number;
      /** Largest zip archive (bulk enrolment). */
      maxArchiveBytes: number;
      /** Throws (503) when an image upload would find no room to be analysed: before its body is read. */
      admitUpload?: () => void;
    },
  ) {}

  add<K extends OperationId>(id: K, handler: Handler<Operations[K]>): void {
    const o: Operation = operations[id];
    if (this.mounted.has(id)) throw new Error(`operation ${id} is mounted twice`);
    this.mounted.add(id);
    const guard: Middleware[] = o.role ? [this.opts.authenticate, requireRole(o.role)] : [];
    this.router.register(
      routerPath(o.path),
      [o.method.toUpperCase()],
      [
        ...guard,
        async (ctx) => {
          if (o.body?.type === "image" || o.body?.type === "archive") this.opts.admitUpload?.();
          const input = {
            params: o.params ? parseInput(o.params, ctx.params, "path") : {},
            query: o.query ? parseInput(o.query, ctx.query, "query") : {},
            body:
              o.body?.type === "json"
                ? await readJson(ctx, o.body.schema, { bytes: this.opts.maxJsonBytes, depth: this.opts.maxJsonDepth })
                : o.body?.type === "image"
                  ? await readImages(ctx, [...o.body.fields], this.opts.maxUploadBytes)
                  : o.body?.type === "archive"
                    ? await readArchive(ctx, this.opts.maxArchiveBytes)
                    : undefined,
          };
          // The types were checked where the handler was written (Handler<O>); here any operation goes.
          const result = await (handler as (ctx: Context, input: unknown) => unknown)(ctx, input);
          if (o.response.status === 204) ctx.status = 204;
          else if ("schema" in o.response) {
            // A handler may choose another status (health answers 503 with the same body); Koa's is 404 until set.
            const status = ctx.status === 404 ? o.response.status : ctx.status;
            ctx.body = result;
            ctx.status = status;
          }
        },
      ],
    );
  }

  /** Operations of the table that no handler serves (the app refuses to start with any). */
  missing(): OperationId[] {
    return (Object.keys(operations) as OperationId[]).filter((id) => !this.mounted.has(id));
  }
}
