import type { Alert } from "../../domain/types.ts";
import type { AlertFilter, AlertRepository, Page } from "../types.ts";
import { cameraWhere, keyset, page, type Sql, whereSql } from "./db.ts";
import { alerts } from "./tables.ts";

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

  async ack(id: string, by: string, at: number): Promise<Alert | undefined> {
    this.sql.run("UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL", [at, by, id]);
    return this.get(id);
  }
}
