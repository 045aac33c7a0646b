/** Cameras, alerts and the live event stream. */

import { alertState, cameraState } from "../../audit/audit.ts";
import { notFound } from "../../domain/errors.ts";
import { cameraKey, parseCameraRef } from "../../domain/types.ts";
import { agentView, alertView, cameraView } from "../../views/views.ts";
import { principalOf } from "../auth.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { actorOf } from "./identities.ts";

export function liveRoutes(r: Routes, s: Services): void {
  r.add("listCameras", async () => {
    const [cameras, agents] = await Promise.all([s.store.cameras.list(), s.store.agents.list()]);
    const rates = s.cameraRates();
    return {
      cameras: cameras.map((c) => cameraView(c, rates.get(cameraKey(c.agentId, c.id)) ?? 0)),
      agents: agents.map((a) => agentView(a, s.isAgentOnline(a.id))),
    };
  });

  r.add("updateCamera", async (ctx, { params, body }) => {
    const before = await s.store.cameras.get(params.agentId, params.cameraId);
    const cam = await s.store.cameras.update(params.agentId, params.cameraId, body);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "camera.update",
      targetType: "camera",
      targetId: cameraKey(cam.agentId, cam.id),
      before: cameraState(before),
      after: cameraState(cam),
    });
    s.cameras.set(cameraKey(cam.agentId, cam.id), { sensitive: cam.sensitive });
    s.bus.emit("camera", { camera: cam });
    return cameraView(cam);
  });

  r.add("listAlerts", async (_ctx, { query: q }) => {
    const page = await s.store.alerts.list(
      { ...q, camera: q.cameraId ? parseCameraRef(q.cameraId) : undefined },
      q.cursor,
      q.limit,
    );
    const items = await Promise.all(
      page.items.map(async (a) => alertView(a, a.personId ? ((await s.persons.get(a.personId)) ?? null) : null)),
    );
    return { items, nextCursor: page.nextCursor };
  });

  r.add("ackAlert", async (ctx, { params }) => {
    const p = principalOf(ctx);
    const before = await s.store.alerts.get(params.id);
    const a = await s.store.alerts.ack(params.id, `${p.kind}:${p.name}`, Date.now());
    if (!a) throw notFound("alert", params.id);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "alert.ack",
      targetType: "alert",
      targetId: a.id,
      before: alertState(before),
      after: alertState(a),
    });
    s.sse.publish("alert-ack", { id: a.id, ackedAt: new Date(a.ackedAt!).toISOString(), ackedBy: a.ackedBy });
    return alertView(a);
  });

  r.add("stream", async (ctx, { query }) => {
    const p = principalOf(ctx);
    const key = `${p.kind}:${p.id}`;
    s.sse.admit(key); // 429 / 503 while the response is still ours to answer
    const last = ctx.get("last-event-id");
    ctx.status = 200;
    ctx.respond = false; // the hub writes the response from here on
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    await s.sse.attach(ctx.res, {
      key,
      types: query.types?.split(",").filter(Boolean),
      lastEventId: /^\d{1,15}$/.test(last) ? Number(last) : undefined,
    });
  });
}
