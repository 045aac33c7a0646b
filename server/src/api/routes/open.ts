/** What needs no credentials: health, metrics, the OpenAPI document and the docs page. */

import type { OpenApiDocument } from "../openapi.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";

export function openRoutes(r: Routes, s: Services, o: { doc: OpenApiDocument; docs: string }): void {
  r.add("health", async (ctx) => {
    let store = "ok";
    try {
      await s.store.ping();
    } catch (e) {
      store = `error: ${(e as Error).message}`;
    }
    // Starting: the index is loading; ingestion (MQTT) begins after it.
    const loading = s.gallery.loading;
    const broker = loading ? "not started" : s.brokerHealthy() ? "ok" : "disconnected";
    const ok = store === "ok" && broker === "ok";
    const body = {
      status: loading ? ("starting" as const) : ok ? ("ok" as const) : ("degraded" as const),
      store: { kind: s.store.kind, status: store },
      broker: { embedded: !s.config.mqtt.url, status: broker },
      index: { persons: s.gallery.personCount, faces: s.gallery.faceCount, ...(loading ? { loading } : {}) },
      ingestBacklog: s.ingestor.backlog,
      uptimeSeconds: Math.round((Date.now() - s.startedAt) / 1000),
    };
    // The body is the same either way; the status tells a load balancer whether to send traffic.
    if (!ok) ctx.status = 503;
    return body;
  });

  r.add("metrics", async (ctx) => {
    ctx.type = s.metrics.registry.contentType;
    ctx.body = await s.metrics.registry.metrics();
  });

  r.add("openapi", (ctx) => {
    ctx.body = o.doc;
  });

  r.add("docs", (ctx) => {
    ctx.type = "text/html";
    ctx.set("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    ctx.body = o.docs;
  });
}
