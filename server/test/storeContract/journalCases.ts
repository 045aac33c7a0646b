/** Contract cases: the event-stream journal (ids increase and are never reused, replay, pruning). */
import { expect, it } from "vitest";
import type { Store } from "../../src/store/types.ts";
import { T0 } from "./records.ts";

/** `ctx.store` is the store under test, set before the first case runs. */
const ev = (i: number) => ({ type: i % 2 ? "person" : "sighting", data: `{"n":${i}}`, at: T0 + i * 1000 });

export function journalCases(ctx: { store: Store }): void {
  it("journals stream events with increasing ids, replays after an id, prunes to the bounds", async () => {
    const j = ctx.store.streamJournal;
    expect(await j.bounds()).toEqual({ oldest: null, last: 0 });
    const ids: number[] = [];
    // One at a time, and several at once.
    for (let i = 0; i < 4; i++) ids.push(...(await j.append([ev(i)])));
    ids.push(...(await j.append([4, 5, 6, 7, 8, 9].map(ev))));
    expect(ids).toHaveLength(10);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(await j.bounds()).toEqual({ oldest: ids[0], last: ids[9] });

    const after = await j.after(ids[6], 100);
    expect(after.map((e) => e.id)).toEqual(ids.slice(7));
    expect(after[0]).toEqual({ id: ids[7], type: "person", data: '{"n":7}', at: T0 + 7000 });
    expect((await j.after(ids[0], 3)).map((e) => e.id)).toEqual(ids.slice(1, 4));

    // Keep the newest 6, and nothing older than T0 + 5 s: ids 5..9 stay.
    expect(await j.prune(6, T0 + 5000)).toBe(5);
    expect(await j.bounds()).toEqual({ oldest: ids[5], last: ids[9] });
    // Everything gone: the last id handed out is still known, and the next one is above it.
    await j.prune(0, T0 + 60_000);
    expect(await j.bounds()).toEqual({ oldest: null, last: ids[9] });
    const [next] = await j.append([{ type: "camera", data: "{}", at: T0 + 70_000 }]);
    expect(await j.append([])).toEqual([]);
    expect(next).toBeGreaterThan(ids[9]);
    await j.prune(0, T0 + 80_000);
  });
}
