/** Contract cases: dead letters, agents and cameras, accounts, webhooks, meta, schema migrations. */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { Store } from "../../src/store/types.ts";
import { allPages, batch, DAY, T0 } from "./records.ts";

/** `ctx.store` is the store under test, set before the first case runs. */
export function adminCases(ctx: { store: Store }): void {
  it("keeps dead letters with their payload", async () => {
    const { store } = ctx;
    const payload = Buffer.from([0, 1, 2, 255]);
    await store.deadLetters.add({ id: randomUUID(), receivedAt: T0, topic: "t/1", error: "bad", payload, size: 4 });
    await store.deadLetters.add({
      id: randomUUID(),
      receivedAt: T0 + 1,
      topic: "t/2",
      error: "worse",
      payload,
      size: 4,
    });
    expect(await store.deadLetters.count()).toBe(2);
    const p = await store.deadLetters.list(undefined, 1);
    expect(p.items[0]).toMatchObject({ topic: "t/2", error: "worse", size: 4 });
    expect(Buffer.compare(p.items[0].payload, payload)).toBe(0);
    const p2 = await store.deadLetters.list(p.nextCursor!, 1);
    expect(p2.items[0].topic).toBe("t/1");
  });

  it("bounds dead letters: size stats, trim of the oldest by count and bytes, removal by age", async () => {
    const { store } = ctx;
    const before = await store.deadLetters.stats();
    const dl = (i: number) => ({
      id: `dl-bound-${String(i).padStart(2, "0")}`,
      receivedAt: T0 + 10 * DAY + Math.floor(i / 2), // pairs share a millisecond: ids order them
      topic: "t/é", // 4 bytes in UTF-8
      error: "E: ü", // 5 bytes
      payload: Buffer.alloc(100, i),
      size: 1000,
    });
    for (let i = 0; i < 10; i++) await store.deadLetters.add(dl(i));
    expect(await store.deadLetters.stats()).toEqual({ count: before.count + 10, bytes: before.bytes + 10 * 109 });
    // Count cap: the 6 newest stay.
    expect(await store.deadLetters.trim(6, 1e9)).toBe(before.count + 4);
    const ids = async () => (await store.deadLetters.list(undefined, 100)).items.map((d) => d.id);
    expect(await ids()).toEqual([9, 8, 7, 6, 5, 4].map((i) => dl(i).id));
    // Bytes cap: as many of the newest as fit in 3 x 109 bytes.
    expect(await store.deadLetters.trim(100, 3 * 109 + 50)).toBe(3);
    expect(await ids()).toEqual([9, 8, 7].map((i) => dl(i).id));
    expect(await store.deadLetters.trim(100, 1e9)).toBe(0);
    expect(await store.deadLetters.deleteBefore(dl(8).receivedAt)).toBe(1);
    expect(await ids()).toEqual([9, 8].map((i) => dl(i).id));
    expect(await store.deadLetters.stats()).toEqual({ count: 2, bytes: 218 });
  });

  it("manages agents, cameras and their status", async () => {
    const { store } = ctx;
    expect(
      await store.agents.insert({
        id: "ag1",
        passwordHash: "h1",
        createdAt: T0,
        status: null,
        statusAt: null,
        lastSeenAt: null,
      }),
    ).toBe(true);
    expect(
      await store.agents.insert({
        id: "ag1",
        passwordHash: "h2",
        createdAt: T0,
        status: null,
        statusAt: null,
        lastSeenAt: null,
      }),
    ).toBe(false);
    expect(await store.agents.setPassword("ag1", "h3")).toBe(true);
    expect(await store.agents.get("ag1")).toMatchObject({ passwordHash: "h3" });
    await store.agents.setStatus("ag1", { state: "online" }, T0);
    expect(await store.agents.get("ag1")).toMatchObject({ status: { state: "online" }, statusAt: T0 });
    await store.cameras.setStatus("ag1", "gate", { state: "streaming" }, T0);
    const cam = await store.cameras.update("ag1", "gate", { sensitive: true, name: "Gate" });
    expect(cam).toMatchObject({
      id: "gate",
      agentId: "ag1",
      sensitive: true,
      name: "Gate",
      status: { state: "streaming" },
    });
    expect((await store.cameras.list()).map((c) => c.id)).toContain("gate");
    expect((await store.agents.list()).map((a) => a.id)).toEqual(["ag1"]);
    expect(await store.agents.delete("ag1")).toBe(true);
    expect(await store.agents.get("ag1")).toBeUndefined();
  });

  it("stores tokens by hash and revokes them", async () => {
    const { store } = ctx;
    await store.accounts.insertToken({
      id: "t1",
      hash: "abc",
      role: "viewer",
      name: "v",
      createdAt: T0,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(await store.accounts.findTokenByHash("abc")).toMatchObject({ id: "t1", role: "viewer" });
    expect(await store.accounts.findTokenByHash("zzz")).toBeUndefined();
    await store.accounts.touchToken("t1", T0 + 1);
    expect(await store.accounts.revokeToken("t1", T0 + 2)).toBe(true);
    expect(await store.accounts.revokeToken("t1", T0 + 3)).toBe(false);
    expect(await store.accounts.findTokenByHash("abc")).toMatchObject({ revokedAt: T0 + 2, lastUsedAt: T0 + 1 });
  });

  it("keeps console users (unique names) and their sessions, which end with the user", async () => {
    const { store } = ctx;
    const u = {
      id: "u1",
      name: "alice",
      role: "operator" as const,
      passwordHash: "scrypt$x",
      createdAt: T0,
      updatedAt: T0,
      disabledAt: null,
      lastLoginAt: null,
    };
    expect(await store.accounts.insertUser(u)).toBe(true);
    expect(await store.accounts.insertUser({ ...u, id: "u2" })).toBe(false); // the name is taken
    expect(await store.accounts.insertUser({ ...u, id: "u0", name: "aaron", role: "viewer" })).toBe(true);
    expect(await store.accounts.getUser("u1")).toEqual(u);
    expect(await store.accounts.findUserByName("alice")).toEqual(u);
    expect(await store.accounts.findUserByName("nobody")).toBeUndefined();
    expect((await store.accounts.listUsers()).map((x) => x.name)).toEqual(["aaron", "alice"]);
    expect(await store.accounts.updateUser("u1", { lastLoginAt: T0 + 1 }, T0 + 1)).toMatchObject({
      lastLoginAt: T0 + 1,
      updatedAt: T0,
    });
    expect(
      await store.accounts.updateUser("u1", { role: "admin", passwordHash: "scrypt$y", disabledAt: T0 + 2 }, T0 + 2),
    ).toMatchObject({ role: "admin", passwordHash: "scrypt$y", disabledAt: T0 + 2, updatedAt: T0 + 2 });
    expect(await store.accounts.updateUser("u1", { disabledAt: null }, T0 + 3)).toMatchObject({ disabledAt: null });
    expect(await store.accounts.updateUser("missing", { role: "viewer" }, T0)).toBeUndefined();

    const sess = (id: string, userId: string, over: Partial<{ expiresAt: number; lastSeenAt: number }> = {}) => ({
      id,
      userId,
      createdAt: T0,
      expiresAt: T0 + DAY,
      lastSeenAt: T0,
      ...over,
    });
    await store.accounts.insertSession(sess("s1", "u1"));
    await store.accounts.insertSession(sess("s2", "u1"));
    await store.accounts.insertSession(sess("s3", "u0"));
    await store.accounts.insertSession(sess("old", "u0", { expiresAt: T0 + 10 }));
    await store.accounts.insertSession(sess("idle", "u0", { lastSeenAt: T0 - DAY }));
    expect(await store.accounts.getSession("s1")).toEqual(sess("s1", "u1"));
    await store.accounts.touchSession("s1", T0 + 500);
    await store.accounts.touchSession("s1", T0 + 100); // never moves back
    expect(await store.accounts.getSession("s1")).toMatchObject({ lastSeenAt: T0 + 500 });
    expect(await store.accounts.deleteExpiredSessions(T0 + 10, T0 - 1000)).toBe(2);
    expect(await store.accounts.getSession("old")).toBeUndefined();
    expect(await store.accounts.getSession("idle")).toBeUndefined();
    expect(await store.accounts.deleteSession("s2")).toBe(true);
    expect(await store.accounts.deleteSession("s2")).toBe(false);
    expect(await store.accounts.deleteUserSessions("u1")).toBe(1);
    expect(await store.accounts.getSession("s1")).toBeUndefined();
    expect(await store.accounts.getSession("s3")).toBeDefined();
    expect(await store.accounts.deleteUser("u0")).toBe(true);
    expect(await store.accounts.deleteUser("u0")).toBe(false);
    expect(await store.accounts.getSession("s3")).toBeUndefined();
    expect(await store.accounts.deleteUser("u1")).toBe(true);
    expect(await store.accounts.listUsers()).toEqual([]);
  });

  it("keeps webhook deliveries: due ones first, updates, history", async () => {
    const { store } = ctx;
    await store.webhooks.insert({
      id: "w1",
      url: "http://127.0.0.1:9/x",
      secret: "s",
      events: [],
      enabled: true,
      createdAt: T0,
    });
    expect((await store.webhooks.list()).map((w) => w.id)).toEqual(["w1"]);
    const d = (id: string, next: number) => ({
      id,
      webhookId: "w1",
      alertId: "a1",
      status: "pending" as const,
      attempts: 0,
      nextAttemptAt: next,
      lastError: null,
      createdAt: next,
      updatedAt: next,
    });
    await store.commitBatch(batch({ deliveries: [d("d1", T0 + 10), d("d2", T0 + 5), d("d3", T0 + 100)] }));
    expect((await store.webhooks.dueDeliveries(T0 + 50, 10)).map((x) => x.id)).toEqual(["d2", "d1"]);
    await store.webhooks.updateDelivery("d2", {
      status: "failed",
      attempts: 6,
      lastError: "HTTP 500",
      updatedAt: T0 + 60,
    });
    expect((await store.webhooks.dueDeliveries(T0 + 50, 10)).map((x) => x.id)).toEqual(["d1"]);
    const hist = await store.webhooks.listDeliveries("w1", undefined, 10);
    expect(hist.items.find((x) => x.id === "d2")).toMatchObject({
      status: "failed",
      attempts: 6,
      lastError: "HTTP 500",
    });
    expect(await store.webhooks.delete("w1")).toBe(true);
    expect((await store.webhooks.listDeliveries("w1", undefined, 10)).items).toHaveLength(0);
  });

  it("keeps meta values", async () => {
    const { store } = ctx;
    expect(await store.meta.get("k")).toBeUndefined();
    await store.meta.set("k", "v1");
    await store.meta.set("k", "v2");
    expect(await store.meta.get("k")).toBe("v2");
  });

  it("migrates once: a second init applies nothing and keeps the data", async () => {
    const { store } = ctx;
    await store.meta.set("survives", "yes");
    expect(await store.init()).toEqual([]);
    expect(await store.meta.get("survives")).toBe("yes");
  });

  it("creates cameras on first sight, edit or status; events add up", async () => {
    const { store } = ctx;
    expect(await store.cameras.get("agX", "new-cam")).toBeUndefined();
    expect(await store.cameras.update("agX", "new-cam", { name: "New" })).toEqual({
      agentId: "agX",
      id: "new-cam",
      name: "New",
      configName: null,
      sensitive: false,
      status: null,
      statusAt: null,
      stateSince: null,
      lastEventAt: null,
      eventCount: 0,
      snapshotAt: null,
    });
    await store.commitBatch(
      batch({
        cameraEvents: [
          { cameraId: "new-cam", agentId: "agX", at: T0 + 10, events: 3 },
          { cameraId: "other-cam", agentId: "agX", at: T0 + 5, events: 1 },
        ],
      }),
    );
    await store.commitBatch(batch({ cameraEvents: [{ cameraId: "new-cam", agentId: "agX", at: T0 + 1, events: 2 }] }));
    await store.cameras.setStatus("agX", "new-cam", { state: "streaming", name: "Front gate" }, T0 + 20);
    expect(await store.cameras.get("agX", "new-cam")).toEqual({
      agentId: "agX",
      id: "new-cam",
      name: "New",
      configName: "Front gate",
      sensitive: false,
      status: { state: "streaming", name: "Front gate" },
      statusAt: T0 + 20,
      stateSince: T0 + 20,
      lastEventAt: T0 + 10,
      eventCount: 5,
      snapshotAt: null,
    });
    // A report of the same state keeps stateSince; a new state moves it.
    await store.cameras.setStatus("agX", "new-cam", { state: "streaming" }, T0 + 30);
    expect(await store.cameras.get("agX", "new-cam")).toMatchObject({ statusAt: T0 + 30, stateSince: T0 + 20 });
    await store.cameras.setStatus("agX", "new-cam", { state: "reconnecting" }, T0 + 40);
    expect(await store.cameras.get("agX", "new-cam")).toMatchObject({ stateSince: T0 + 40, configName: null });
    expect(await store.cameras.get("agX", "other-cam")).toMatchObject({ name: null, sensitive: false, eventCount: 1 });
    expect(await store.cameras.update("agX", "other-cam", { sensitive: true })).toMatchObject({
      sensitive: true,
      name: null,
    });
    // Another agent's camera of the same id is another camera: its status and events touch only it.
    await store.cameras.setStatus("agY", "new-cam", { state: "failed" }, T0 + 50);
    await store.commitBatch(batch({ cameraEvents: [{ cameraId: "new-cam", agentId: "agY", at: T0 + 51, events: 1 }] }));
    expect(await store.cameras.get("agX", "new-cam")).toMatchObject({
      status: { state: "reconnecting" },
      eventCount: 5,
    });
    expect(await store.cameras.get("agY", "new-cam")).toMatchObject({
      status: { state: "failed" },
      eventCount: 1,
      name: null,
    });
    const keys = (await store.cameras.list()).map((c) => `${c.agentId}/${c.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(expect.arrayContaining(["agX/new-cam", "agX/other-cam", "agY/new-cam"]));
  });

  it("lists agents by id and tokens oldest first; a token hash is unique", async () => {
    const { store } = ctx;
    const agent = (id: string) => ({
      id,
      passwordHash: "h",
      createdAt: T0,
      status: null,
      statusAt: null,
      lastSeenAt: null,
    });
    await store.agents.insert(agent("zz"));
    await store.agents.insert(agent("aa"));
    expect((await store.agents.list()).map((a) => a.id)).toEqual(["aa", "zz"]);
    expect(await store.agents.setPassword("missing", "x")).toBe(false);
    expect(await store.agents.delete("missing")).toBe(false);
    for (const id of ["aa", "zz"]) await store.agents.delete(id);

    const token = (id: string, hash: string, createdAt: number) => ({
      id,
      hash,
      role: "operator" as const,
      name: id,
      createdAt,
      lastUsedAt: null,
      revokedAt: null,
    });
    await store.accounts.insertToken(token("t3", "h3", T0 + 30));
    await store.accounts.insertToken(token("t2", "h2", T0 + 20));
    const listed = (await store.accounts.listTokens()).map((t) => t.id);
    expect(listed.indexOf("t2")).toBeLessThan(listed.indexOf("t3"));
    expect(await store.accounts.findTokenByHash("h3")).toEqual(token("t3", "h3", T0 + 30));
    await expect(store.accounts.insertToken(token("t4", "h3", T0 + 40))).rejects.toThrow();
  });

  it("keeps dead letters once per id and webhooks with their settings; delivery history pages", async () => {
    const { store } = ctx;
    const before = await store.deadLetters.count();
    const dl = { id: randomUUID(), receivedAt: T0 + 9, topic: "t/3", error: "e", payload: Buffer.from("x"), size: 1 };
    await store.deadLetters.add(dl);
    await store.deadLetters.add(dl);
    expect(await store.deadLetters.count()).toBe(before + 1);

    const hook = {
      id: "w2",
      url: "http://127.0.0.1:9/y",
      secret: "s2",
      events: ["foe" as const],
      enabled: false,
      createdAt: T0,
    };
    await store.webhooks.insert(hook);
    expect(await store.webhooks.list()).toEqual([hook]);
    const d = (i: number) => ({
      id: `dd${i}`,
      webhookId: "w2",
      alertId: "a1",
      status: "pending" as const,
      attempts: 0,
      nextAttemptAt: T0 + i,
      lastError: null,
      createdAt: T0 + i,
      updatedAt: T0 + i,
    });
    await store.commitBatch(batch({ deliveries: [1, 2, 3, 4, 5].map(d) }));
    const pages = await allPages((c) => store.webhooks.listDeliveries("w2", c, 2));
    expect(pages.map((p) => p.map((x) => x.id))).toEqual([["dd5", "dd4"], ["dd3", "dd2"], ["dd1"]]);
    expect(await store.webhooks.delete("w2")).toBe(true);
    expect(await store.webhooks.delete("w2")).toBe(false);
    expect(await store.webhooks.dueDeliveries(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
}
