import type { MetaRepository } from "../types.ts";
import type { Collections } from "./docs.ts";

export class MongoMeta implements MetaRepository {
  constructor(private readonly c: Collections) {}

  async get(key: string): Promise<string | undefined> {
    const d = await this.c("meta").findOne({ _id: key });
    return (d?.value as string) ?? undefined;
  }
  async set(key: string, value: string): Promise<void> {
    await this.c("meta").updateOne({ _id: key }, { $set: { value } }, { upsert: true });
  }
}
