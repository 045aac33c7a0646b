/**
 * The event stream's journal: ids come from the store, so they keep increasing across a restart, and
 * a console that reconnects with the last id it saw from the previous run is replayed what it missed;
 * an id older than the journal keeps (or one it never handed out) gets `reset`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { apiClient, type Json, openStream, type RunningServer, tempDir, waitFor } from "./helpers.ts";

const dataDir = tempDir();
const config = (over: Json = {}) => ({
  dataDir,
  http: { port: 0, host: "127.0.0.1" },
  mqtt: { port: 0, host: "127.0.0.1" },
  log: { level: "error" },
  ...over,
});

describe("event stream journal across restarts", () => {
  const running: RunningServer[] = [];
  const streams: Array<{ close(): void }> = [];
  afterAll(async () => {
    for (const s of streams) s.close();
    for (const s of running) await s.stop();
  });

  async function person(server: RunningServer, name: string): Promise<void> {
    const r = await apiClient(server, server.adminToken)("POST", "/api/v1/persons", { name });
    expect(r.status).toBe(201);
  }
  const names = (events: Array<{ event: string; data: Json }>) =>
    events.filter((e) => e.event === "person").map((e) => e.data.person?.name);

  it("a client reconnecting with server A's last id gets what server B published; ids keep increasing", async () => {
    const a = await startServer({ config: config() });
    running.push(a);
    const auth = { authorization: `Bearer ${a.adminToken}` };
    const live = await openStream(a, auth);
    streams.push(live);
    for (const n of ["a1", "a2", "a3"]) await person(a, n);
    await waitFor(async () => names(live.events).length === 3, "A's events");
    const lastOfA = Number(live.events.at(-1)!.id);
    // What the console saw before the restart: all but the last event of A.
    const seenId = Number(live.events.at(-2)!.id);
    live.close();
    await a.stop();

    const b = await startServer({ config: config() });
    running.push(b);
    for (const n of ["b1", "b2"]) await person(b, n);
    const resumed = await openStream(b, { ...auth, "last-event-id": String(seenId) });
    streams.push(resumed);
    await waitFor(async () => names(resumed.events).length === 3, "the missed events, replayed");
    expect(names(resumed.events)).toEqual(["a3", "b1", "b2"]);
    const ids = resumed.events.map((e) => Number(e.id));
    expect(ids[0]).toBe(lastOfA);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    // Live events follow the replay, still in order.
    await person(b, "b3");
    await waitFor(async () => names(resumed.events).includes("b3"), "a live event after the replay");
    expect(Number(resumed.events.at(-1)!.id)).toBeGreaterThan(ids.at(-1)!);
    expect(resumed.events.some((e) => e.event === "reset")).toBe(false);
    resumed.close();
    await b.stop();
  });

  it("an id older than the journal, or one it never handed out, gets `reset`; the journal stays bounded", async () => {
    const c = await startServer({ config: config({ stream: { journalMaxEvents: 100 } }) });
    running.push(c);
    const auth = { authorization: `Bearer ${c.adminToken}` };
    for (let i = 0; i < 120; i++) await person(c, `c${i}`);
    await c.services.sse.flush();
    const { oldest, last } = await c.services.store.streamJournal.bounds();
    expect(last).toBeGreaterThanOrEqual(125);
    expect(last - oldest! + 1).toBeLessThanOrEqual(120); // pruned at the 100th event to the newest 100

    for (const stale of ["1", String(last + 1000)]) {
      const newest = (await c.services.store.streamJournal.bounds()).last;
      const s = await openStream(c, { ...auth, "last-event-id": stale });
      streams.push(s);
      const reset = await waitFor(async () => s.events.find((e) => e.event === "reset"), `reset for ${stale}`);
      // Its id is the newest: the client resumes from there after reloading.
      expect(Number(reset.id)).toBe(newest);
      expect(reset.data).toEqual({ lastEventId: newest });
      // After a reset, the stream carries on live; even a filtered stream gets the reset.
      await person(c, `after-${stale}`);
      await waitFor(async () => names(s.events).includes(`after-${stale}`), "live after reset");
      s.close();
    }
    const filtered = await fetch(`${c.url}/api/v1/stream?types=alert`, {
      headers: { ...auth, "last-event-id": "1" },
    });
    const reader = filtered.body!.getReader();
    let text = "";
    while (!text.includes("event: reset")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });
});
