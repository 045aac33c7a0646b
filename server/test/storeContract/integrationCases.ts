/** Contract cases: integration accounts (read-only MQTT logins). */
import { expect, it } from "vitest";
import type { Integration } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/types.ts";
import { T0 } from "./records.ts";

export function integrationCases(ctx: { store: Store }): void {
  it("keeps integration accounts: unique names, new passwords, last connection, removal", async () => {
    const { store } = ctx;
    const ha: Integration = {
      id: "homeassistant",
      description: "Home Assistant in the hall",
      scopes: ["homeassistant", "status"],
      passwordHash: "h1",
      createdAt: T0,
      credentialsAt: T0,
      lastConnectedAt: null,
    };
    expect(await store.integrations.insert(ha)).toBe(true);
    expect(await store.integrations.insert({ ...ha, passwordHash: "other" })).toBe(false);
    expect(
      await store.integrations.insert({
        ...ha,
        id: "display",
        description: null,
        scopes: ["alerts"],
        passwordHash: "h2",
      }),
    ).toBe(true);
    expect(await store.integrations.get("homeassistant")).toEqual(ha);
    expect((await store.integrations.list()).map((i) => i.id)).toEqual(["display", "homeassistant"]);
    expect((await store.integrations.get("display"))?.description).toBeNull();

    expect(await store.integrations.setPassword("homeassistant", "h3", T0 + 10)).toBe(true);
    expect(await store.integrations.setPassword("nobody", "h3", T0 + 10)).toBe(false);
    expect(await store.integrations.get("homeassistant")).toMatchObject({ passwordHash: "h3", credentialsAt: T0 + 10 });

    await store.integrations.connected("homeassistant", T0 + 20);
    await store.integrations.connected("homeassistant", T0 + 15); // an older login reported late
    expect((await store.integrations.get("homeassistant"))?.lastConnectedAt).toBe(T0 + 20);
    await store.integrations.connected("nobody", T0);

    expect(await store.integrations.delete("homeassistant")).toBe(true);
    expect(await store.integrations.delete("homeassistant")).toBe(false);
    expect(await store.integrations.get("homeassistant")).toBeUndefined();
    expect(await store.integrations.delete("display")).toBe(true);
    expect(await store.integrations.list()).toEqual([]);
  });
}
