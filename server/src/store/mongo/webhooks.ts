/** Webhooks and their deliveries (created with their alert by commitBatch, then worked off). */
import type { Delivery, Webhook } from "../../domain/types.ts";
import type { Page, WebhookRepository } from "../types.ts";
import { type Collections, fromDoc, pageOf, withId } from "./docs.ts";

export class MongoWebhooks implements WebhookRepository {
  constructor(private readonly c: Collections) {}

  async insert(w: Webhook): Promise<void> {
    await this.c("webhooks").insertOne(withId(w));
  }
  async list(): Promise<Webhook[]> {
    return (await this.c("webhooks").find().sort({ createdAt: 1 }).toArray()).map((d) => fromDoc<Webhook>(d)!);
  }
  async delete(id: string): Promise<boolean> {
    await this.c("deliveries").deleteMany({ webhookId: id });
    return (await this.c("webhooks").deleteOne({ _id: id })).deletedCount === 1;
  }
  async dueDeliveries(now: number, limit: number): Promise<Delivery[]> {
    const docs = await this.c("deliveries")
      .find({ status: "pending", nextAttemptAt: { $lte: now } })
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => fromDoc<Delivery>(d)!);
  }
  async updateDelivery(id: string, set: Partial<Delivery>): Promise<void> {
    const { id: _id, ...rest } = set;
    await this.c("deliveries").updateOne({ _id: id }, { $set: rest });
  }
  async listDeliveries(webhookId: string, cursor: string | undefined, limit: number): Promise<Page<Delivery>> {
    return pageOf<Delivery>(this.c("deliveries"), { webhookId }, "createdAt", cursor, limit);
  }
}
