/** The store-and-forward spool on a real disk: durability across reopen, order, caps with counted drops. */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@argus/shared";
import { describe, expect, it } from "vitest";
import { Spool } from "../src/publish/spool.ts";
import { tempDir } from "./helpers/env.ts";

const log = createLogger("test", "silent");
const big = { maxBytes: 1 << 30, maxEvents: 1000, minFreeBytes: 0 };
const ev = (n: number) => ({ cameraId: n % 2 ? "cam-a" : "cam-b", eventId: `e${n}` });
const files = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".evt"));

describe("Spool", () => {
  it("stores each event before it is sent, keeps the order across a restart, deletes on ack", async () => {
    const dir = tempDir("spool");
    const s = await Spool.open(dir, big, log);
    for (let i = 1; i <= 5; i++) await s.put(`t/${i}`, Buffer.from(`payload ${i}`), ev(i));
    expect(files(dir)).toHaveLength(5);
    expect(s.size).toBe(5);
    const first = s.nextIdle(2);
    expect(first.map((e) => e.eventId)).toEqual(["e1", "e2"]);
    expect((await s.payload(first[0])).toString()).toBe("payload 1");
    await s.ack(first[0]);
    expect(files(dir)).toHaveLength(4);
    await s.close();

    // A new process finds the rest, in order, with topics and payloads intact, and numbers on from there.
    const s2 = await Spool.open(dir, big, log);
    const rest = s2.nextIdle(10);
    expect(rest.map((e) => [e.eventId, e.topic, e.cameraId])).toEqual([
      ["e2", "t/2", "cam-b"],
      ["e3", "t/3", "cam-a"],
      ["e4", "t/4", "cam-b"],
      ["e5", "t/5", "cam-a"],
    ]);
    expect((await s2.payload(rest[3])).toString()).toBe("payload 5");
    const e6 = await s2.put("t/6", Buffer.from("payload 6"), ev(6));
    expect(e6!.seq).toBeGreaterThan(rest[3].seq);
    for (const e of s2.nextIdle(10)) await s2.ack(e);
    await s2.whenEmpty();
    expect(files(dir)).toEqual([]);
  });

  it("drops the oldest events past maxEvents, counting and reporting each, never one in flight", async () => {
    const dir = tempDir("spool");
    const s = await Spool.open(dir, { ...big, maxEvents: 3 }, log);
    const dropped: string[] = [];
    s.on("dropped", (e, reason) => dropped.push(`${e.eventId}: ${reason}`));
    await s.put("t", Buffer.from("1"), ev(1));
    const e1 = s.nextIdle(1)[0];
    e1.inflight = true; // being sent: must not be dropped
    for (let i = 2; i <= 6; i++) await s.put("t", Buffer.from(String(i)), ev(i));
    expect(s.size).toBe(3);
    expect(s.droppedTotal).toBe(3);
    expect(dropped).toEqual([
      "e2: spool holds more than 3 events",
      "e3: spool holds more than 3 events",
      "e4: spool holds more than 3 events",
    ]);
    expect(s.nextIdle(10).map((e) => e.eventId)).toEqual(["e5", "e6"]);
    expect(files(dir)).toHaveLength(3);
  });

  it("keeps to maxBytes, and to the disk's free-space floor", async () => {
    const dir = tempDir("spool");
    const s = await Spool.open(dir, { ...big, maxBytes: 3000 }, log);
    for (let i = 1; i <= 10; i++) await s.put("t", Buffer.alloc(900, 65), ev(i));
    expect(s.bytes).toBeLessThanOrEqual(3000);
    expect(s.size).toBe(3);
    expect(s.droppedTotal).toBe(7);

    // A floor larger than any disk: every new event evicts the older ones, so the spool cannot grow.
    const dir2 = tempDir("spool");
    const s2 = await Spool.open(dir2, { ...big, minFreeBytes: Number.MAX_SAFE_INTEGER }, log);
    const reasons: string[] = [];
    s2.on("dropped", (_e, r) => reasons.push(r));
    for (let i = 1; i <= 4; i++) await s2.put("t", Buffer.from("x"), ev(i));
    expect(s2.size).toBe(1);
    expect(s2.nextIdle(5).map((e) => e.eventId)).toEqual(["e4"]);
    expect(reasons[0]).toMatch(/disk nearly full/);
  });

  it("cleans up an interrupted write and sets aside an unreadable file on open", async () => {
    const dir = tempDir("spool");
    writeFileSync(join(dir, "0000000000000001.evt.tmp"), "half");
    writeFileSync(join(dir, "0000000000000002.evt"), "no header newline");
    const s = await Spool.open(dir, big, log);
    expect(s.size).toBe(0);
    expect(existsSync(join(dir, "0000000000000001.evt.tmp"))).toBe(false);
    expect(existsSync(join(dir, "0000000000000002.evt.bad"))).toBe(true);
    const e = await s.put("t", Buffer.from("ok"), ev(1));
    expect(e!.seq).toBe(3);
  });
});
