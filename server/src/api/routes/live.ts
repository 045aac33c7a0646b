import Router from "@koa/router";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { agentView, alertView, cameraView } from "../../views.ts";
import { principalOf, requireRole } from "../auth.ts";
import { parseQuery, readJson } from "../body.ts";
import { notFound } from "../errors.ts";
import { limitParam } from "./common.ts";

export function liveRoutes(s: Services): Router {
  const r = new Router();

  r.get("/cameras", requireRole("viewer"), async (ctx) => {
    const [cameras, agents] = await Promise.all([s.store.cameras.list(), s.store.agents.list()]);
    const rates = s.cameraRates();
    ctx.body = {
      cameras: cameras.map((c) => cameraView(c, rates.get(c.id) ?? 0)),
      agents: agents.map((a) => agentView(a, s.isAgentOnline(a.id))),
    };
  });

  r.patch("/cameras/:id", requireRole("operator"), async (ctx) => {
    const body = await readJson(
      ctx,
      z
        .object({ name: z.string().trim().max(200).nullable().optional(), sensitive: z.boolean().optional() })
        .strict()
        .refine((b) => Object.keys(b).length > 0, "give name and/or sensitive"),
      s.config.http.maxJsonBytes,
    );
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(ctx.params.id)) throw notFound("camera", ctx.params.id);
    const cam = await s.store.cameras.update(ctx.params.id, body);
    s.cameras.set(cam.id, { sensitive: cam.sensitive });
    s.bus.emit("camera", { camera: cam });
    ctx.body = cameraView(cam);
  });

  r.get("/alerts", requireRole("viewer"), async (ctx) => {
    const q = parseQuery(
      ctx,
      z.object({
        type: z.enum(["foe", "unknown_at_sensitive_camera"]).optional(),
        acked: z
          .enum(["true", "false"])
          .transform((v) => v === "true")
          .optional(),
        personId: z.string().optional(),
        cameraId: z.string().optional(),
        cursor: z.string().optional(),
        limit: limitParam,
      }),
    );
    const page = await s.store.alerts.list(q, q.cursor, q.limit);
    const items = await Promise.all(
      page.items.map(async (a) => alertView(a, a.personId ? ((await s.persons.get(a.personId)) ?? null) : null)),
    );
    ctx.body = { items, nextCursor: page.nextCursor };
  });

  r.post("/alerts/:id/ack", requireRole("operator"), async (ctx) => {
    const p = principalOf(ctx);
    const a = await s.store.alerts.ack(ctx.params.id, `${p.kind}:${p.name}`, Date.now());
    if (!a) throw notFound("alert", ctx.params.id);
    s.sse.publish("alert-ack", { id: a.id, ackedAt: new Date(a.ackedAt!).toISOString(), ackedBy: a.ackedBy });
    ctx.body = alertView(a);
  });

  r.get("/stream", requireRole("viewer"), async (ctx) => {
    const q = parseQuery(ctx, z.object({ types: z.string().optional() }));
    const last = Number(ctx.get("last-event-id"));
    ctx.status = 200;
    ctx.respond = false; // the hub writes the response from here on
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    s.sse.attach(ctx.res, {
      types: q.types?.split(",").filter(Boolean),
      lastEventId: Number.isFinite(last) && ctx.get("last-event-id") !== "" ? last : undefined,
    });
  });

  return r;
}
