import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MongoStore } from "./mongo/index.ts";
import { SqliteStore } from "./sqlite/index.ts";
import type { Store } from "./types.ts";

/** MongoDB when a URL is configured, else the embedded SQLite store in the data directory. */
export function openStore(opts: { dataDir: string; mongodbUrl?: string; mongodbDb?: string }): Store {
  if (opts.mongodbUrl) return new MongoStore(opts.mongodbUrl, opts.mongodbDb);
  mkdirSync(opts.dataDir, { recursive: true });
  return new SqliteStore(join(opts.dataDir, "argus.db"));
}
