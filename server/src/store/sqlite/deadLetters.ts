import type { DeadLetter } from "../../domain/types.ts";
import type { DeadLetterRepository, DeadLetterStats, Page } from "../types.ts";
import { keyset, page, type Sql, whereSql } from "./db.ts";
import { deadLetters } from "./tables.ts";

/** deadLetterBytes() in SQL (text lengths in bytes through a BLOB cast). */
const BYTES = "LENGTH(payload) + LENGTH(CAST(error AS BLOB)) + LENGTH(CAST(topic AS BLOB))";

export class SqliteDeadLetters implements DeadLetterRepository {
  constructor(private readonly sql: Sql) {}

  async add(d: DeadLetter): Promise<void> {
    this.sql.run(deadLetters.insertSql(), deadLetters.insertValues(d));
  }
  async list(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>> {
    const where: string[] = [];
    const params: unknown[] = [];
    keyset("received_at", cursor, where, params);
    const rows = this.sql.all(
      `SELECT * FROM dead_letters ${whereSql(where)} ORDER BY received_at DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, deadLetters.read, (r) => Number(r.received_at));
  }
  async count(): Promise<number> {
    return this.sql.number("SELECT COUNT(*) FROM dead_letters");
  }
  async stats(): Promise<DeadLetterStats> {
    const r = this.sql.get(`SELECT COUNT(*) AS n, COALESCE(SUM(${BYTES}), 0) AS b FROM dead_letters`);
    return { count: Number(r?.n ?? 0), bytes: Number(r?.b ?? 0) };
  }
  async trim(maxCount: number, maxBytes: number): Promise<number> {
    // Newest first, with the running count and size: everything past either cap goes.
    return this.sql.run(
      `DELETE FROM dead_letters WHERE id IN (
         SELECT id FROM (
           SELECT id, ROW_NUMBER() OVER w AS n, SUM(${BYTES}) OVER w AS total FROM dead_letters
           WINDOW w AS (ORDER BY received_at DESC, id DESC ROWS UNBOUNDED PRECEDING))
         WHERE n > ? OR total > ?)`,
      [maxCount, maxBytes],
    ).changes;
  }
  async deleteBefore(before: number): Promise<number> {
    return this.sql.run("DELETE FROM dead_letters WHERE received_at < ?", [before]).changes;
  }
}
