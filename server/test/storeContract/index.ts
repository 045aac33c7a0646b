/**
 * The storage contract: one suite that every Store implementation must pass (server/test/store.test.ts
 * runs it against SQLite always and against MongoDB when MONGODB_URL is set). The cases share one
 * store, in order; each cleans up what it made.
 */
import { afterAll, beforeAll, describe } from "vitest";
import type { Store } from "../../src/store/types.ts";
import { adminCases } from "./adminCases.ts";
import { consoleCases } from "./consoleCases.ts";
import { creationCases } from "./creationCases.ts";
import { identityCases } from "./identityCases.ts";
import { ingestCases } from "./ingestCases.ts";
import { integrationCases } from "./integrationCases.ts";
import { journalCases } from "./journalCases.ts";
import { triageCases } from "./triageCases.ts";

/** Registers the contract suite for a store made by `make` (a fresh, empty store each time). */
export function storeContract(name: string, make: () => Promise<Store>, cleanup?: (s: Store) => Promise<void>) {
  describe(`store contract: ${name}`, () => {
    const ctx = {} as { store: Store };
    beforeAll(async () => {
      ctx.store = await make();
      await ctx.store.init();
    });
    afterAll(async () => {
      await cleanup?.(ctx.store);
      await ctx.store.close();
    });
    ingestCases(ctx);
    adminCases(ctx);
    journalCases(ctx);
    identityCases(ctx);
    creationCases(ctx);
    integrationCases(ctx);
    consoleCases(ctx);
    triageCases(ctx);
  });
}
