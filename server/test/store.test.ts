import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { MongoStore } from "../src/store/mongo/index.ts";
import { SqliteStore } from "../src/store/sqlite/index.ts";
import { storeContract } from "./storeContract/index.ts";

storeContract(
  "sqlite",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "argus-store-"));
    const s = new SqliteStore(join(dir, "argus.db"));
    return s;
  },
  async (s) => {
    rmSync((s as SqliteStore).file, { force: true });
  },
);

const mongoUrl = process.env.MONGODB_URL;
if (mongoUrl) {
  // Each run gets its own database, dropped afterwards.
  const dbName = `argus_contract_${process.pid}_${Date.now()}`;
  storeContract(
    "mongodb",
    async () => new MongoStore(mongoUrl, dbName),
    async (s) => {
      await (s as MongoStore).drop();
    },
  );
} else {
  console.log(
    "store contract: MongoDB SKIPPED (set MONGODB_URL=mongodb://... to run the contract suite against MongoDB)",
  );
  describe("store contract: mongodb", () => {
    it.skip("skipped: MONGODB_URL is not set", () => {});
  });
}
