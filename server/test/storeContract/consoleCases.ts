/**
 * Contract cases of the console's store needs: persons' first sighting (through merges, deletes and
 * retention), counting a filter up to a bound (exports), the context crop's region on sightings, and
 * cameras' snapshot time.
 */
import { expect, it } from "vitest";
import type { Store } from "../../src/store/types.ts";
import { batch, DAY, person, sighting, T0 } from "./records.ts";

export function consoleCases(ctx: { store: Store }): void {
  it("firstSeen: the earliest sighting of each person, through merges, moves of sightings and retention", async () => {
    const { store } = ctx;
    const a = person({ name: "First A" });
    const b = person({ name: "First B" });
    const never = person({ name: "Never seen" });
    for (const p of [a, b, never]) await store.persons.insert(p);
    const old = T0 - 400 * DAY; // older than any other case's sightings: retention below takes only it
    const sa = [
      sighting(a.id, { capturedAt: T0 + 5000, lastSeenAt: T0 + 6000 }),
      sighting(a.id, { capturedAt: T0 + 1000, lastSeenAt: T0 + 1500 }),
    ];
    const sb = [sighting(b.id, { capturedAt: old, lastSeenAt: old + 10 }), sighting(b.id, { capturedAt: T0 + 3000 })];
    await store.commitBatch(batch({ newSightings: [...sa, ...sb] }));
    const first = await store.persons.firstSeen([a.id, b.id, never.id, "missing", a.id]);
    expect(Object.fromEntries(first)).toEqual({ [a.id]: T0 + 1000, [b.id]: old });
    expect(await store.persons.firstSeen([])).toEqual(new Map());

    // A merge: the person kept has the earlier of both.
    await store.persons.merge(a.id, b.id, T0 + 10_000);
    expect((await store.persons.firstSeen([a.id])).get(a.id)).toBe(old);
    // Retention removes the oldest: the first sighting moves on.
    const gone = await store.sightings.deleteBefore(old + 1000, false, 100);
    expect(gone).toEqual([sb[0].id]);
    expect((await store.persons.firstSeen([a.id])).get(a.id)).toBe(T0 + 1000);
    // A sighting moved to another person (any write of person_id): computed, so it follows at once.
    await store.commitBatch(batch({ sightingUpdates: [{ id: sa[1].id, set: { personId: never.id } }] }));
    expect(Object.fromEntries(await store.persons.firstSeen([a.id, never.id]))).toEqual({
      [a.id]: T0 + 3000,
      [never.id]: T0 + 1000,
    });
    for (const p of [a, never]) await store.persons.delete(p.id);
    expect(await store.persons.firstSeen([a.id, never.id])).toEqual(new Map());
  });

  it("counts the sightings of a filter up to a bound; keeps the context crop's region", async () => {
    const { store } = ctx;
    const p = person({ name: "Counted", list: "foe" });
    await store.persons.insert(p);
    const made = Array.from({ length: 5 }, (_, i) =>
      sighting(i < 4 ? p.id : null, {
        agentId: "count-agent",
        cameraId: i % 2 ? "odd" : "even",
        capturedAt: T0 + i,
        hasContext: i === 0,
        contextBox: i === 0 ? [10, 20, 110, 140] : null,
      }),
    );
    await store.commitBatch(batch({ newSightings: made }));
    const mine = {
      cameras: [
        { agentId: "count-agent", cameraId: "odd" },
        { agentId: "count-agent", cameraId: "even" },
      ],
    };
    expect(await store.sightings.countUpTo(mine, 100)).toBe(5);
    expect(await store.sightings.countUpTo(mine, 3)).toBe(3);
    expect(await store.sightings.countUpTo({ ...mine, list: "foe" }, 100)).toBe(4);
    expect(await store.sightings.countUpTo({ ...mine, list: "none" }, 100)).toBe(1);
    expect(await store.sightings.countUpTo({ cameras: [{ agentId: "count-agent", cameraId: "odd" }] }, 100)).toBe(2);
    expect(await store.sightings.countUpTo({ ...mine, from: T0 + 3 }, 100)).toBe(2);
    expect(await store.sightings.countUpTo({ personId: p.id, to: T0 + 2 }, 100)).toBe(2);

    expect((await store.sightings.get(made[0].id))?.contextBox).toEqual([10, 20, 110, 140]);
    expect((await store.sightings.get(made[1].id))?.contextBox).toBeNull();
    // A better shot replaces the crop and its region.
    await store.commitBatch(batch({ sightingUpdates: [{ id: made[0].id, set: { contextBox: [0, 0, 64, 48] } }] }));
    expect((await store.sightings.get(made[0].id))?.contextBox).toEqual([0, 0, 64, 48]);
    const listed = (await store.sightings.list(mine, undefined, 10)).items.find((x) => x.id === made[0].id);
    expect(listed?.contextBox).toEqual([0, 0, 64, 48]);
    await store.persons.delete(p.id);
  });

  it("keeps when a camera's snapshot arrived; creates the camera if need be", async () => {
    const { store } = ctx;
    await store.cameras.setSnapshot("snap-agent", "cam", T0 + 1);
    expect(await store.cameras.get("snap-agent", "cam")).toMatchObject({
      agentId: "snap-agent",
      id: "cam",
      snapshotAt: T0 + 1,
      eventCount: 0,
      status: null,
    });
    // A status later keeps it; a new snapshot moves it; clearing forgets it.
    await store.cameras.setStatus("snap-agent", "cam", { state: "streaming", name: "Hall" }, T0 + 2);
    await store.cameras.setSnapshot("snap-agent", "cam", T0 + 3);
    expect(await store.cameras.get("snap-agent", "cam")).toMatchObject({ snapshotAt: T0 + 3, configName: "Hall" });
    await store.cameras.setSnapshot("snap-agent", "cam", null);
    expect((await store.cameras.get("snap-agent", "cam"))?.snapshotAt).toBeNull();
  });
}
