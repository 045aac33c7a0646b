import { Binary } from "mongodb";
import type { DeadLetter } from "../../domain/types.ts";
import type { DeadLetterRepository, DeadLetterStats, Page } from "../types.ts";
import { type Collections, fromDoc, insertIdempotent, pageOf, withId } from "./docs.ts";

/** deadLetterBytes() as an aggregation expression. */
const BYTES = { $add: [{ $binarySize: "$payload" }, { $strLenBytes: "$error" }, { $strLenBytes: "$topic" }] };

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
  async stats(): Promise<DeadLetterStats> {
    const [r] = await this.c("dead_letters")
      .aggregate([{ $group: { _id: null, count: { $sum: 1 }, bytes: { $sum: BYTES } } }])
      .toArray();
    return { count: Number(r?.count ?? 0), bytes: Number(r?.bytes ?? 0) };
  }
  async trim(maxCount: number, maxBytes: number): Promise<number> {
    // Newest first with their sizes only (the caps keep this to maxCount + a batch of rows).
    const rows = this.c("dead_letters").aggregate<{ _id: string; b: number }>([
      { $sort: { receivedAt: -1, _id: -1 } },
      { $project: { b: BYTES } },
    ]);
    const drop: string[] = [];
    let n = 0;
    let total = 0;
    for await (const r of rows) {
      n++;
      total += r.b;
      if (n > maxCount || total > maxBytes) drop.push(r._id);
    }
    if (!drop.length) return 0;
    return (await this.c("dead_letters").deleteMany({ _id: { $in: drop } })).deletedCount;
  }
  async deleteBefore(before: number): Promise<number> {
    return (await this.c("dead_letters").deleteMany({ receivedAt: { $lt: before } })).deletedCount;
  }
}
