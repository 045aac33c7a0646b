/** Administration: the caller, agents, tokens, webhooks, dead letters, the index. */
import { randomUUID } from "node:crypto";
import { tokenState } from "../../audit/audit.ts";
import { invalidArgument, notFound } from "../../domain/errors.ts";
import { secret } from "../../util/ids.ts";
import { agentView, deadLetterView, deliveryView, tokenView, webhookView } from "../../views/views.ts";
import { newToken, principalOf } from "../auth.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { actorOf } from "./identities.ts";

export function adminRoutes(r: Routes, s: Services): void {
  r.add("me", (ctx) => principalOf(ctx));

  // ------------------------------------------------------------------ agents
  r.add("createAgent", async (_ctx, { body }) => s.registerAgent(body.id));
  r.add("listAgents", async () => ({
    items: (await s.store.agents.list()).map((a) => agentView(a, s.isAgentOnline(a.id))),
  }));
  r.add("rotateAgent", async (_ctx, { params }) => s.rotateAgent(params.id));
  r.add("deleteAgent", async (_ctx, { params }) => {
    if (!(await s.removeAgent(params.id))) throw notFound("agent", params.id);
  });

  // ------------------------------------------------------------------ tokens
  r.add("createToken", async (ctx, { body }) => {
    const { token, hash } = newToken();
    const t = {
      id: randomUUID(),
      hash,
      role: body.role,
      name: body.name,
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await s.store.accounts.insertToken(t);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "token.create",
      targetType: "token",
      targetId: t.id,
      before: null,
      after: tokenState(t),
    });
    return { ...tokenView(t), token }; // shown once; only its hash is stored
  });
  r.add("listTokens", async () => ({ items: (await s.store.accounts.listTokens()).map(tokenView) }));
  r.add("revokeToken", async (ctx, { params }) => {
    const before = (await s.store.accounts.listTokens()).find((t) => t.id === params.id);
    const at = Date.now();
    if (!(await s.store.accounts.revokeToken(params.id, at))) throw notFound("active token", params.id);
    s.tokens.clear();
    await s.audit.record({
      actor: actorOf(ctx),
      action: "token.revoke",
      targetType: "token",
      targetId: params.id,
      before: tokenState(before),
      after: before ? { ...tokenState(before), revokedAt: at } : null,
    });
  });

  // ------------------------------------------------------------------ webhooks
  r.add("createWebhook", async (_ctx, { body }) => {
    try {
      await s.webhooks.checkTarget(body.url);
    } catch (e) {
      throw invalidArgument("url", (e as Error).message);
    }
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
    return { ...webhookView(w), secret: w.secret }; // the signing secret, shown once
  });
  r.add("listWebhooks", async () => ({ items: (await s.store.webhooks.list()).map(webhookView) }));
  r.add("deleteWebhook", async (_ctx, { params }) => {
    if (!(await s.store.webhooks.delete(params.id))) throw notFound("webhook", params.id);
    await s.webhooks.reload();
  });
  r.add("listDeliveries", async (_ctx, { params, query: q }) => {
    const page = await s.store.webhooks.listDeliveries(params.id, q.cursor, q.limit);
    return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
  });

  // ------------------------------------------------------------------ operations
  r.add("listDeadLetters", async (_ctx, { query: q }) => {
    const page = await s.store.deadLetters.list(q.cursor, q.limit);
    return {
      total: await s.store.deadLetters.count(),
      items: page.items.map(deadLetterView),
      nextCursor: page.nextCursor,
    };
  });
  r.add("rebuildIndex", () => s.rebuildIndex());
  r.add("stats", async () => ({
    persons: s.gallery.personCount,
    faces: s.gallery.faceCount,
    scopes: s.gallery.scopes(),
    sightings: await s.store.sightings.count(),
    deadLetters: await s.store.deadLetters.count(),
    ingestBacklog: s.ingestor.backlog,
    sseClients: s.sse.size,
  }));
}
