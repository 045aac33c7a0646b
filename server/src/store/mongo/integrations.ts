/** Integration accounts: read-only MQTT logins of the embedded broker (documents keyed by name). */
import type { Integration } from "../../domain/types.ts";
import type { IntegrationRepository } from "../types.ts";
import { type Collections, fromDoc, insertNew, withId } from "./docs.ts";

export class MongoIntegrations implements IntegrationRepository {
  constructor(private readonly c: Collections) {}

  async insert(i: Integration): Promise<boolean> {
    return insertNew(this.c("integrations"), withId(i));
  }
  async get(id: string): Promise<Integration | undefined> {
    return fromDoc<Integration>(await this.c("integrations").findOne({ _id: id }));
  }
  async list(): Promise<Integration[]> {
    return (await this.c("integrations").find().sort({ _id: 1 }).toArray()).map((d) => fromDoc<Integration>(d)!);
  }
  async setPassword(id: string, passwordHash: string, at: number): Promise<boolean> {
    const r = await this.c("integrations").updateOne({ _id: id }, { $set: { passwordHash, credentialsAt: at } });
    return r.matchedCount === 1;
  }
  async connected(id: string, at: number): Promise<void> {
    await this.c("integrations").updateOne({ _id: id }, { $max: { lastConnectedAt: at } });
  }
  async delete(id: string): Promise<boolean> {
    return (await this.c("integrations").deleteOne({ _id: id })).deletedCount === 1;
  }
}
