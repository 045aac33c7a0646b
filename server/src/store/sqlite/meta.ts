import type { MetaRepository } from "../types.ts";
import type { Sql } from "./db.ts";

export class SqliteMeta implements MetaRepository {
  constructor(private readonly sql: Sql) {}

  async get(key: string): Promise<string | undefined> {
    const v = this.sql.value("SELECT value FROM meta WHERE key = ?", [key]);
    return v === undefined || v === null ? undefined : String(v);
  }
  async set(key: string, value: string): Promise<void> {
    this.sql.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [
      key,
      value,
    ]);
  }
}
