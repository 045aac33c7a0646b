/** Webhooks and their deliveries (created with their alert by commitBatch, then worked off). */
import type { Delivery, Webhook } from "../../domain/types.ts";
import type { Page, WebhookRepository } from "../types.ts";
import { keyset, page, type Sql } from "./db.ts";
import { deliveries, webhooks } from "./tables.ts";

const DELIVERY_PATCHABLE = ["status", "attempts", "nextAttemptAt", "lastError", "updatedAt"] as const;

export class SqliteWebhooks implements WebhookRepository {
  constructor(private readonly sql: Sql) {}

  async insert(w: Webhook): Promise<void> {
    this.sql.run(webhooks.insertSql(false), webhooks.insertValues(w));
  }
  async list(): Promise<Webhook[]> {
    return this.sql.all("SELECT * FROM webhooks ORDER BY created_at").map(webhooks.read);
  }
  async delete(id: string): Promise<boolean> {
    return this.sql.tx(() => {
      this.sql.run("DELETE FROM deliveries WHERE webhook_id = ?", [id]);
      return this.sql.run("DELETE FROM webhooks WHERE id = ?", [id]).changes === 1;
    });
  }

  insertDeliverySync(d: Delivery): void {
    this.sql.run(deliveries.insertSql(), deliveries.insertValues(d));
  }
  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    return this.sql
      .all(
        "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        [now, limit],
      )
      .map(deliveries.read);
  }
  async updateDelivery(id: string, set: Partial<Delivery>): Promise<void> {
    const a = deliveries.assign(set, DELIVERY_PATCHABLE);
    if (a.sql) this.sql.run(`UPDATE deliveries SET ${a.sql} WHERE id = ?`, [...a.params, id], false);
  }
  async listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>> {
    const where = ["webhook_id = ?"];
    const params: unknown[] = [webhookId];
    keyset("created_at", cursor, where, params);
    const rows = this.sql.all(
      `SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, deliveries.read, (r) => Number(r.created_at));
  }
}
