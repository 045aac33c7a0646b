/** Alert triage: bulk acknowledgement with a note, mutes per camera or person; the settings page (admin). */
import { randomUUID } from "node:crypto";
import { alertState, muteState } from "../../audit/audit.ts";
import { redactSettings } from "../../config/redact.ts";
import { invalidArgument, notFound } from "../../domain/errors.ts";
import type { Mute } from "../../domain/types.ts";
import { muteView } from "../../views/views.ts";
import { principalOf } from "../auth.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { actorOf } from "./identities.ts";

const MAX_MUTE_MS = 30 * 86_400_000;

export function triageRoutes(r: Routes, s: Services): void {
  r.add("bulkAckAlerts", async (ctx, { body }) => {
    const p = principalOf(ctx);
    const ids = [...new Set(body.ids)];
    const note = body.note ? body.note : null;
    const at = Date.now();
    const before = new Map(
      (await Promise.all(ids.map((id) => s.store.alerts.get(id)))).flatMap((a) => (a ? [[a.id, a] as const] : [])),
    );
    const after = await s.store.alerts.ackMany(ids, `${p.kind}:${p.name}`, at, note);
    const actor = actorOf(ctx);
    let acknowledged = 0;
    for (const a of after) {
      const prev = before.get(a.id);
      // Acknowledged by this request: it was not before, and now carries this request's time.
      if (prev?.ackedAt !== null || a.ackedAt !== at) continue;
      acknowledged++;
      await s.audit.record({
        actor,
        action: "alert.ack",
        targetType: "alert",
        targetId: a.id,
        before: alertState(prev),
        after: alertState(a),
      });
      s.sse.publish("alert-ack", {
        id: a.id,
        ackedAt: new Date(at).toISOString(),
        ackedBy: a.ackedBy,
        ackNote: a.ackNote,
      });
    }
    const found = new Set(after.map((a) => a.id));
    return {
      acknowledged,
      alreadyAcknowledged: after.length - acknowledged,
      notFound: ids.filter((id) => !found.has(id)),
      ackedAt: new Date(at).toISOString(),
    };
  });

  r.add("listMutes", async () => {
    const now = Date.now();
    return { items: (await s.store.mutes.list(now)).map((m) => muteView(m, now)) };
  });

  r.add("createMute", async (ctx, { body }) => {
    const now = Date.now();
    const until = body.minutes !== undefined ? now + body.minutes * 60_000 : Date.parse(body.until!);
    if (until <= now) throw invalidArgument("until", "must be in the future");
    if (until > now + MAX_MUTE_MS) throw invalidArgument("until", "at most 30 days ahead");
    if (body.personId && !(await s.persons.get(body.personId))) throw notFound("person", body.personId, "personId");
    const p = principalOf(ctx);
    const m: Mute = {
      id: randomUUID(),
      targetKind: body.camera ? "camera" : "person",
      targetId: (body.camera ?? body.personId)!,
      includeFoe: body.includeFoe,
      until,
      reason: body.reason ? body.reason : null,
      createdAt: now,
      createdBy: `${p.kind}:${p.name}`,
    };
    await s.store.mutes.insert(m);
    s.mutes.set(m);
    s.mutes.prune(now);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "mute.create",
      targetType: "mute",
      targetId: m.id,
      before: null,
      after: muteState(m),
    });
    return muteView(m, now);
  });

  r.add("deleteMute", async (ctx, { params }) => {
    const m = await s.store.mutes.get(params.id);
    if (!m || !(await s.store.mutes.delete(params.id))) throw notFound("mute", params.id);
    s.mutes.delete(m.id);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "mute.delete",
      targetType: "mute",
      targetId: m.id,
      before: muteState(m),
      after: null,
    });
  });

  r.add("getSettings", async () => {
    const { settings, redacted } = redactSettings(s.config);
    return {
      settings: settings as Record<string, unknown>,
      redacted,
      storeKind: s.store.kind,
      startedAt: new Date(s.startedAt).toISOString(),
    };
  });
}
