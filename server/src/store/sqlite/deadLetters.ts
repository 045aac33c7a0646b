import type { DeadLetter } from "../../domain/types.ts";
import type { DeadLetterRepository, Page } from "../types.ts";
import { keyset, page, type Sql, whereSql } from "./db.ts";
import { deadLetters } from "./tables.ts";

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
}
