/** The event-stream journal: AUTOINCREMENT ids, so an id is never handed out twice, even after pruning. */
import type { StreamEventRecord, StreamJournalRepository } from "../types.ts";
import type { Sql } from "./db.ts";

export class SqliteStreamJournal implements StreamJournalRepository {
  constructor(private readonly sql: Sql) {}

  async append(events: ReadonlyArray<Omit<StreamEventRecord, "id">>): Promise<number[]> {
    const insert = "INSERT INTO stream_events (type, data, at) VALUES (?, ?, ?)";
    return this.sql.tx(() => events.map((e) => Number(this.sql.run(insert, [e.type, e.data, e.at]).lastInsertRowid)));
  }
  async after(afterId: number, limit: number): Promise<StreamEventRecord[]> {
    return this.sql
      .all("SELECT id, type, data, at FROM stream_events WHERE id > ? ORDER BY id LIMIT ?", [afterId, limit])
      .map((r) => ({ id: Number(r.id), type: String(r.type), data: String(r.data), at: Number(r.at) }));
  }
  async bounds(): Promise<{ oldest: number | null; last: number }> {
    const oldest = this.sql.value("SELECT MIN(id) FROM stream_events");
    // sqlite_sequence keeps the last AUTOINCREMENT id even when every row is gone.
    const last = this.sql.number("SELECT seq FROM sqlite_sequence WHERE name = 'stream_events'");
    return { oldest: oldest === null || oldest === undefined ? null : Number(oldest), last };
  }
  async prune(keep: number, before: number): Promise<number> {
    const { last } = await this.bounds();
    return this.sql.run("DELETE FROM stream_events WHERE id <= ? OR at < ?", [last - keep, before]).changes;
  }
}
