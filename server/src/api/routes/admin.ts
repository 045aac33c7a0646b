import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { secret } from "../../util/ids.ts";
import { agentView, deadLetterView, deliveryView, tokenView, webhookView } from "../../views.ts";
import { newToken, principalOf, ROLES, requireRole } from "../auth.ts";
import { parseQuery, readJson } from "../body.ts";
import { ApiError, notFound } from "../errors.ts";
import { limitParam } from "./common.ts";

const agentId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' (no '/', '+', '#' or spaces), at most 64");

export function adminRoutes(s: Services): Router {
  const r = new Router();
  const json = s.config.http.maxJsonBytes;

  r.get("/me", requireRole("viewer"), (ctx) => {
    ctx.body = principalOf(ctx);
  });

  // ------------------------------------------------------------------ agents
  r.post("/agents", requireRole("admin"), async (ctx) => {
    const { id } = await readJson(ctx, z.object({ id: agentId }).strict(), json);
    ctx.status = 201;
    ctx.body = await s.registerAgent(id);
  });
  r.get("/agents", requireRole("viewer"), async (ctx) => {
    ctx.body = { items: (await s.store.agents.list()).map((a) => agentView(a, s.isAgentOnline(a.id))) };
  });
  r.post("/agents/:id/credentials", requireRole("admin"), async (ctx) => {
    ctx.body = await s.rotateAgent(ctx.params.id);
  });
  r.delete("/agents/:id", requireRole("admin"), async (ctx) => {
    if (!(await s.removeAgent(ctx.params.id))) throw notFound("agent", ctx.params.id);
    ctx.status = 204;
  });

  // ------------------------------------------------------------------ tokens
  r.post("/tokens", requireRole("admin"), async (ctx) => {
    const body = await readJson(
      ctx,
      z.object({ role: z.enum(ROLES as [string, ...string[]]), name: z.string().trim().min(1).max(100) }).strict(),
      json,
    );
    const { token, hash } = newToken();
    const t = {
      id: randomUUID(),
      hash,
      role: body.role as "admin",
      name: body.name,
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await s.store.accounts.insertToken(t);
    ctx.status = 201;
    ctx.body = { ...tokenView(t), token }; // shown once; only its hash is stored
  });
  r.get("/tokens", requireRole("admin"), async (ctx) => {
    ctx.body = { items: (await s.store.accounts.listTokens()).map(tokenView) };
  });
  r.delete("/tokens/:id", requireRole("admin"), async (ctx) => {
    if (!(await s.store.accounts.revokeToken(ctx.params.id, Date.now()))) throw notFound("active token", ctx.params.id);
    s.tokens.clear();
    ctx.status = 204;
  });

  // ------------------------------------------------------------------ webhooks
  r.post("/webhooks", requireRole("admin"), async (ctx) => {
    const body = await readJson(
      ctx,
      z
        .object({
          url: z
            .string()
            .url()
            .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL"),
          secret: z.string().min(16, "at least 16 characters").max(200).optional(),
          events: z.array(z.enum(["foe", "unknown_at_sensitive_camera"])).default([]),
        })
        .strict(),
      json,
    );
    const w = {
      id: randomUUID(),
      url: body.url,
      secret: body.secret ?? secret(32),
      events: body.events,
      enabled: true,
      createdAt: Date.now(),
    };
    await s.store.webhooks.insert(w);
    await s.webhooks.reload();
    ctx.status = 201;
    ctx.body = { ...webhookView(w), secret: w.secret }; // the signing secret, shown once
  });
  r.get("/webhooks", requireRole("admin"), async (ctx) => {
    ctx.body = { items: (await s.store.webhooks.list()).map(webhookView) };
  });
  r.delete("/webhooks/:id", requireRole("admin"), async (ctx) => {
    if (!(await s.store.webhooks.delete(ctx.params.id))) throw notFound("webhook", ctx.params.id);
    await s.webhooks.reload();
    ctx.status = 204;
  });
  r.get("/webhooks/:id/deliveries", requireRole("admin"), async (ctx) => {
    const q = parseQuery(ctx, z.object({ cursor: z.string().optional(), limit: limitParam }));
    const page = await s.store.webhooks.listDeliveries(ctx.params.id, q.cursor, q.limit);
    ctx.body = { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
  });

  // ------------------------------------------------------------------ operations
  r.get("/dead-letters", requireRole("admin"), async (ctx) => {
    const q = parseQuery(ctx, z.object({ cursor: z.string().optional(), limit: limitParam }));
    const page = await s.store.deadLetters.list(q.cursor, q.limit);
    ctx.body = {
      total: await s.store.deadLetters.count(),
      items: page.items.map(deadLetterView),
      nextCursor: page.nextCursor,
    };
  });
  r.post("/admin/rebuild-index", requireRole("admin"), async (ctx) => {
    ctx.body = await s.rebuildIndex();
  });
  r.get("/admin/stats", requireRole("viewer"), async (ctx) => {
    ctx.body = {
      persons: s.gallery.personCount,
      faces: s.gallery.faceCount,
      scopes: s.gallery.scopes(),
      sightings: await s.store.sightings.count(),
      deadLetters: await s.store.deadLetters.count(),
      ingestBacklog: s.ingestor.backlog,
      sseClients: s.sse.size,
    };
  });
  void ApiError;
  return r;
}
