import type { Alert, Mute } from "../../domain/types.ts";
import type { AlertFilter, AlertRepository, MuteRepository, Page } from "../types.ts";
import { cameraWhere, keyset, page, type Sql, whereSql } from "./db.ts";
import { alerts, mutes } from "./tables.ts";

export class SqliteAlerts implements AlertRepository {
  constructor(private readonly sql: Sql) {}

  insertSync(a: Alert): void {
    this.sql.run(alerts.insertSql(), alerts.insertValues(a));
  }

  async get(id: string): Promise<Alert | undefined> {
    const r = this.sql.get("SELECT * FROM alerts WHERE id = ?", [id]);
    return r && alerts.read(r);
  }

  async list(f: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.type) {
      where.push("type = ?");
      params.push(f.type);
    }
    if (f.acked === true) where.push("acked_at IS NOT NULL");
    if (f.acked === false) where.push("acked_at IS NULL");
    if (f.muted === true) where.push("muted_by IS NOT NULL");
    if (f.muted === false) where.push("muted_by IS NULL");
    if (f.personId) {
      where.push("person_id = ?");
      params.push(f.personId);
    }
    if (f.camera) {
      const c = cameraWhere([f.camera]);
      where.push(c.sql);
      params.push(...c.params);
    }
    keyset("created_at", cursor, where, params);
    const rows = this.sql.all(
      `SELECT * FROM alerts ${whereSql(where)} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, alerts.read, (r) => Number(r.created_at));
  }

  async ack(id: string, by: string, at: number, note: string | null = null): Promise<Alert | undefined> {
    this.sql.run("UPDATE alerts SET acked_at = ?, acked_by = ?, ack_note = ? WHERE id = ? AND acked_at IS NULL", [
      at,
      by,
      note,
      id,
    ]);
    return this.get(id);
  }

  async ackMany(ids: readonly string[], by: string, at: number, note: string | null): Promise<Alert[]> {
    const out: Alert[] = [];
    this.sql.tx(() => {
      for (const id of ids) {
        this.sql.run("UPDATE alerts SET acked_at = ?, acked_by = ?, ack_note = ? WHERE id = ? AND acked_at IS NULL", [
          at,
          by,
          note,
          id,
        ]);
        const r = this.sql.get("SELECT * FROM alerts WHERE id = ?", [id]);
        if (r) out.push(alerts.read(r));
      }
    });
    return out;
  }
}

export class SqliteMutes implements MuteRepository {
  constructor(private readonly sql: Sql) {}

  async insert(m: Mute): Promise<void> {
    this.sql.run(mutes.insertSql(false), mutes.insertValues(m));
  }
  async get(id: string): Promise<Mute | undefined> {
    const r = this.sql.get("SELECT * FROM mutes WHERE id = ?", [id]);
    return r && mutes.read(r);
  }
  async list(now?: number): Promise<Mute[]> {
    const rows =
      now === undefined
        ? this.sql.all("SELECT * FROM mutes ORDER BY until, id")
        : this.sql.all("SELECT * FROM mutes WHERE until > ? ORDER BY until, id", [now]);
    return rows.map(mutes.read);
  }
  async delete(id: string): Promise<boolean> {
    return this.sql.run("DELETE FROM mutes WHERE id = ?", [id]).changes > 0;
  }
  async deleteEnded(before: number): Promise<number> {
    return this.sql.run("DELETE FROM mutes WHERE until < ?", [before]).changes;
  }
  async retargetPerson(fromId: string, intoId: string): Promise<Mute[]> {
    this.sql.run("UPDATE mutes SET target_id = ? WHERE target_kind = 'person' AND target_id = ?", [intoId, fromId]);
    return this.sql
      .all("SELECT * FROM mutes WHERE target_kind = 'person' AND target_id = ? ORDER BY until, id", [intoId])
      .map(mutes.read);
  }
}
