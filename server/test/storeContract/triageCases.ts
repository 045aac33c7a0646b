/** Contract cases: alert triage (mutes, muted alerts, bulk acknowledgement with a note) and the sighting grade filter. */
import { expect, it } from "vitest";
import type { Regulars } from "../../src/alerts/regulars.ts";
import type { Mute } from "../../src/domain/types.ts";
import type { PersonService } from "../../src/identify/persons.ts";
import { runRetention } from "../../src/retention/retention.ts";
import type { CropStore } from "../../src/store/crops.ts";
import type { Store } from "../../src/store/types.ts";
import { alert, batch, person, sighting, T0 } from "./records.ts";

const mute = (over: Partial<Mute> = {}): Mute => ({
  id: "mute-1",
  targetKind: "camera",
  targetId: "agent1/cam1",
  includeFoe: false,
  until: T0 + 60_000,
  reason: "lens cleaning",
  createdAt: T0,
  createdBy: "user:op",
  ...over,
});

export function triageCases(ctx: { store: Store }): void {
  it("keeps mutes: in force ones listed by their end, removed and pruned when ended", async () => {
    const { store } = ctx;
    const a = mute();
    const b = mute({
      id: "mute-2",
      targetKind: "person",
      targetId: "p-x",
      includeFoe: true,
      until: T0 + 10_000,
      reason: null,
    });
    const ended = mute({ id: "mute-3", until: T0 - 1 });
    for (const m of [a, b, ended]) await store.mutes.insert(m);
    expect(await store.mutes.get(a.id)).toEqual(a);
    expect(await store.mutes.get(b.id)).toEqual(b);
    expect(await store.mutes.get("none")).toBeUndefined();
    expect((await store.mutes.list(T0)).map((m) => m.id)).toEqual([b.id, a.id]);
    expect((await store.mutes.list()).map((m) => m.id)).toEqual([ended.id, b.id, a.id]);
    // Ends exactly now: no longer in force.
    expect((await store.mutes.list(T0 + 10_000)).map((m) => m.id)).toEqual([a.id]);
    expect(await store.mutes.deleteEnded(T0)).toBe(1);
    expect(await store.mutes.get(ended.id)).toBeUndefined();
    expect(await store.mutes.delete(b.id)).toBe(true);
    expect(await store.mutes.delete(b.id)).toBe(false);
    expect(await store.mutes.delete(a.id)).toBe(true);
    expect(await store.mutes.list()).toEqual([]);
    // A merge moves person mutes (only the merged person's) to the survivor.
    const pm = mute({ id: "mute-6", targetKind: "person", targetId: "p-from", until: T0 + 5_000 });
    const other = mute({ id: "mute-7", targetKind: "person", targetId: "p-other", until: T0 + 5_000 });
    const kept = mute({ id: "mute-8", targetKind: "person", targetId: "p-into", until: T0 + 9_000 });
    for (const m of [pm, other, kept]) await store.mutes.insert(m);
    expect(await store.mutes.retargetPerson("p-from", "p-into")).toEqual([{ ...pm, targetId: "p-into" }, kept]);
    expect(await store.mutes.get(pm.id)).toEqual({ ...pm, targetId: "p-into" });
    expect(await store.mutes.get(other.id)).toEqual(other);
    expect(await store.mutes.retargetPerson("p-none", "p-into")).toHaveLength(2);
    for (const m of [pm, other, kept]) expect(await store.mutes.delete(m.id)).toBe(true);
    // Retention drops mutes ended more than a day ago.
    const longEnded = mute({ id: "mute-4", until: T0 - 2 * 86_400_000 });
    await store.mutes.insert(longEnded);
    await store.mutes.insert(mute({ id: "mute-5", until: T0 - 1000 }));
    const r = await runRetention({
      store,
      crops: { delete: async () => {} } as unknown as CropStore,
      persons: {} as PersonService,
      regulars: { forget: () => {} } as unknown as Regulars,
      days: 0,
      keepListed: true,
      dedupDays: 30,
      now: T0,
    });
    expect(r.mutes).toBe(1);
    expect((await store.mutes.list()).map((m) => m.id)).toEqual(["mute-5"]);
    await store.mutes.delete("mute-5");
  });

  it("stores muted alerts with their mute, filters them, and acknowledges many at once with a note", async () => {
    const { store } = ctx;
    const s = sighting(null);
    const muted = alert(s, { createdAt: T0 + 1, mutedBy: "mute-1" });
    const plain = [2, 3, 4].map((i) => alert(s, { createdAt: T0 + i }));
    await store.commitBatch(batch({ newSightings: [s], alerts: [muted, ...plain] }));
    expect(await store.alerts.get(muted.id)).toMatchObject({ mutedBy: "mute-1", ackNote: null });
    expect((await store.alerts.list({ muted: true }, undefined, 10)).items.map((a) => a.id)).toEqual([muted.id]);
    expect((await store.alerts.list({ muted: false }, undefined, 10)).items).toHaveLength(3);
    // One already acknowledged keeps its first acknowledgement.
    await store.alerts.ack(plain[0].id, "user:first", T0 + 50, "first look");
    const acked = await store.alerts.ackMany(
      [muted.id, plain[0].id, "missing", plain[2].id],
      "user:op",
      T0 + 99,
      "camera 2 storm, checked",
    );
    expect(acked.map((a) => a.id)).toEqual([muted.id, plain[0].id, plain[2].id]);
    expect(acked[0]).toMatchObject({ ackedAt: T0 + 99, ackedBy: "user:op", ackNote: "camera 2 storm, checked" });
    expect(acked[1]).toMatchObject({ ackedAt: T0 + 50, ackedBy: "user:first", ackNote: "first look" });
    expect(await store.alerts.get(plain[2].id)).toMatchObject({
      ackedBy: "user:op",
      ackNote: "camera 2 storm, checked",
    });
    expect((await store.alerts.list({ acked: false }, undefined, 10)).items.map((a) => a.id)).toEqual([plain[1].id]);
    expect(await store.alerts.ackMany([], "user:op", T0, null)).toEqual([]);
    // Without a note.
    expect((await store.alerts.ackMany([plain[1].id], "user:op", T0 + 120, null))[0]).toMatchObject({ ackNote: null });
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });

  it("filters sightings by the grade of their match", async () => {
    const { store } = ctx;
    const p = person();
    await store.persons.insert(p);
    const strong = sighting(p.id, { grade: "strong", capturedAt: T0 + 1 });
    const possible = sighting(p.id, { grade: "possible", capturedAt: T0 + 2 });
    const none = sighting(null, { capturedAt: T0 + 3 });
    await store.commitBatch(batch({ newSightings: [strong, possible, none] }));
    const ids = async (grade: "strong" | "likely" | "possible") =>
      (await store.sightings.list({ grade }, undefined, 10)).items.map((x) => x.id);
    expect(await ids("strong")).toEqual([strong.id]);
    expect(await ids("possible")).toEqual([possible.id]);
    expect(await ids("likely")).toEqual([]);
    expect((await store.sightings.list({ grade: "possible", personId: p.id }, undefined, 10)).items).toHaveLength(1);
    await store.persons.delete(p.id);
    await store.sightings.deleteBefore(Number.MAX_SAFE_INTEGER, false, 1000);
  });
}
