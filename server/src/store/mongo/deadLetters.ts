import { Binary } from "mongodb";
import type { DeadLetter } from "../../domain/types.ts";
import type { DeadLetterRepository, Page } from "../types.ts";
import { type Collections, fromDoc, insertIdempotent, pageOf, withId } from "./docs.ts";

export class MongoDeadLetters implements DeadLetterRepository {
  constructor(private readonly c: Collections) {}

  async add(d: DeadLetter): Promise<void> {
    await insertIdempotent(this.c("dead_letters"), [{ ...withId(d), payload: new Binary(d.payload) }]);
  }
  async list(cursor: string | undefined, limit: number): Promise<Page<DeadLetter>> {
    return pageOf(this.c("dead_letters"), {}, "receivedAt", cursor, limit, (d) => ({
      ...fromDoc<DeadLetter>(d)!,
      payload: Buffer.from((d.payload as Binary).buffer),
    }));
  }
  async count(): Promise<number> {
    return this.c("dead_letters").countDocuments();
  }
}
