/** The Koa application: errors, metrics, health, OpenAPI, and the authenticated /api/v1 routes. */
import Router from "@koa/router";
import Koa from "koa";
import type { Services } from "../services.ts";
import { authenticate, sessionResolver } from "./auth.ts";
import { errorMiddleware } from "./errors.ts";
import { docsHtml, openApiDocument } from "./openapi.ts";
import { adminRoutes } from "./routes/admin.ts";
import { exportRoutes } from "./routes/export.ts";
import { liveRoutes } from "./routes/live.ts";
import { personRoutes } from "./routes/persons.ts";
import { sessionRoutes, userRoutes } from "./routes/session.ts";
import { sightingRoutes } from "./routes/sightings.ts";
import { serveConsole } from "./static.ts";

export const API_VERSION = "1.0.0";

export function createApp(s: Services): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;

  // Metrics around everything, by matched route (not raw path, to keep label cardinality bounded).
  app.use(async (ctx, next) => {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      const route =
        (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? (ctx.status === 404 ? "unmatched" : ctx.path);
      s.metrics.httpRequests.inc({ method: ctx.method, route: String(route), status: String(ctx.status) });
      s.metrics.httpMs.observe(performance.now() - t0);
    }
  });
  app.use(errorMiddleware(s.log));
  app.use(async (ctx, next) => {
    ctx.set("x-content-type-options", "nosniff");
    ctx.set("referrer-policy", "no-referrer");
    await next();
  });

  const docs = docsHtml(openApiDocument(API_VERSION));
  const open = new Router();
  open.get("/health", async (ctx) => {
    let store = "ok";
    try {
      await s.store.ping();
    } catch (e) {
      store = `error: ${(e as Error).message}`;
    }
    const broker = s.brokerHealthy() ? "ok" : "disconnected";
    const ok = store === "ok" && broker === "ok";
    ctx.status = ok ? 200 : 503;
    ctx.body = {
      status: ok ? "ok" : "degraded",
      store: { kind: s.store.kind, status: store },
      broker: { embedded: !s.config.mqtt.url, status: broker },
      index: { persons: s.gallery.personCount, faces: s.gallery.faceCount },
      ingestBacklog: s.ingestor.backlog,
      uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
    };
  });
  open.get("/metrics", (ctx) => {
    ctx.type = "text/plain; version=0.0.4";
    ctx.body = s.metrics.registry.render();
  });
  open.get("/openapi.json", (ctx) => {
    ctx.body = openApiDocument(API_VERSION);
  });
  open.get(["/docs", "/api/docs"], (ctx) => {
    ctx.type = "text/html";
    ctx.set("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    ctx.body = docs;
  });
  app.use(open.routes());

  const signIn = sessionRoutes(s);
  app.use(signIn.routes());

  const api = new Router({ prefix: "/api/v1" });
  api.use(authenticate([s.tokens.resolve, sessionResolver(s.sessions)]));
  for (const r of [personRoutes(s), exportRoutes(s), sightingRoutes(s), liveRoutes(s), adminRoutes(s), userRoutes(s)])
    api.use(r.routes(), r.allowedMethods());
  app.use(api.routes());
  app.use(api.allowedMethods());

  // The web console at / (after everything else: it never answers for the API's paths).
  app.use(serveConsole(s.config.console.dir));
  return app;
}
