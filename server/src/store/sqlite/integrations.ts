/** Integration accounts: read-only MQTT logins of the embedded broker (rows: tables.ts `integrations`). */
import type { Integration } from "../../domain/types.ts";
import type { IntegrationRepository } from "../types.ts";
import type { Sql } from "./db.ts";
import { integrations } from "./tables.ts";

export class SqliteIntegrations implements IntegrationRepository {
  constructor(private readonly sql: Sql) {}

  async insert(i: Integration): Promise<boolean> {
    return this.sql.run(integrations.insertSql(), integrations.insertValues(i)).changes === 1;
  }
  async get(id: string): Promise<Integration | undefined> {
    const r = this.sql.get("SELECT * FROM integrations WHERE id = ?", [id]);
    return r && integrations.read(r);
  }
  async list(): Promise<Integration[]> {
    return this.sql.all("SELECT * FROM integrations ORDER BY id").map(integrations.read);
  }
  async setPassword(id: string, passwordHash: string, at: number): Promise<boolean> {
    return (
      this.sql.run("UPDATE integrations SET password_hash = ?, credentials_at = ? WHERE id = ?", [passwordHash, at, id])
        .changes === 1
    );
  }
  async connected(id: string, at: number): Promise<void> {
    this.sql.run("UPDATE integrations SET last_connected_at = MAX(COALESCE(last_connected_at, 0), ?) WHERE id = ?", [
      at,
      id,
    ]);
  }
  async delete(id: string): Promise<boolean> {
    return this.sql.run("DELETE FROM integrations WHERE id = ?", [id]).changes === 1;
  }
}
