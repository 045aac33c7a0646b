/**
 * The Koa application: errors, metrics, security headers, and every operation of the shared table
 * (shared/src/api/operations.ts) mounted through Routes, then the web console at /.
 */
import Router from "@koa/router";
import Koa from "koa";
import { authenticate, sessionResolver } from "./auth.ts";
import { errorMiddleware } from "./errors.ts";
import { docsHtml, openApiDocument } from "./openapi.ts";
import { Routes } from "./route.ts";
import { adminRoutes } from "./routes/admin.ts";
import { consoleRoutes } from "./routes/console.ts";
import { enrolRoutes } from "./routes/enrol.ts";
import { exportRoutes } from "./routes/export.ts";
import { identityRoutes } from "./routes/identities.ts";
import { integrationRoutes } from "./routes/integrations.ts";
import { liveRoutes } from "./routes/live.ts";
import { openRoutes } from "./routes/open.ts";
import { personRoutes } from "./routes/persons.ts";
import { sessionRoutes, userRoutes } from "./routes/session.ts";
import { sightingRoutes } from "./routes/sightings.ts";
import { triageRoutes } from "./routes/triage.ts";
import type { Services } from "./services.ts";
import { serveConsole } from "./static.ts";

export const API_VERSION = "1.0.0";

export function createApp(s: Services): { app: Koa; router: Router } {
  // Forwarded headers only from a trusted proxy, and only the entry it appended: a client cannot pick
  // its own address (sign-in throttling is per address).
  const app = new Koa({ proxy: s.config.http.trustProxy, maxIpsCount: 1 });
  app.silent = true;

  // Metrics around everything, labelled by the route's template (never the raw path: a bounded label set).
  app.use(async (ctx, next) => {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      const route = String((ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? "other");
      s.metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      s.metrics.httpSeconds.observe({ method: ctx.method, route }, (performance.now() - t0) / 1000);
    }
  });
  app.use(errorMiddleware(s.log, (status, code) => s.metrics.httpRefused.inc({ status: String(status), code })));
  app.use(async (ctx, next) => {
    ctx.set("x-content-type-options", "nosniff");
    ctx.set("referrer-policy", "no-referrer");
    await next();
  });

  // Case-sensitive: a path matches the route whose role it is checked against, or nothing.
  const router = new Router({ sensitive: true });
  const routes = new Routes(router, {
    authenticate: authenticate([s.tokens.resolve, sessionResolver(s.sessions)]),
    maxJsonBytes: s.config.http.maxJsonBytes,
    maxJsonDepth: s.config.http.maxJsonDepth,
    maxUploadBytes: s.config.http.maxUploadBytes,
    maxArchiveBytes: s.config.http.bulk.maxArchiveBytes,
    admitUpload: () => s.personService.admitPhoto(),
  });
  const doc = openApiDocument(API_VERSION);
  openRoutes(routes, s, { doc, docs: docsHtml(doc) });
  for (const mount of [
    sessionRoutes,
    userRoutes,
    personRoutes,
    enrolRoutes,
    exportRoutes,
    sightingRoutes,
    liveRoutes,
    adminRoutes,
    identityRoutes,
    integrationRoutes,
    consoleRoutes,
    triageRoutes,
  ])
    mount(routes, s);
  const missing = routes.missing();
  if (missing.length) throw new Error(`operations without a handler: ${missing.join(", ")}`);
  app.use(router.routes());
  app.use(router.allowedMethods());

  // The web console at / (after everything else: it never answers for the API's paths).
  app.use(serveConsole(s.config.console.dir));
  return { app, router };
}
