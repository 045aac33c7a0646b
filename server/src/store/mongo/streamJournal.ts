/**
 * The event-stream journal: ids from a counter document (`counters`, {_id: "stream_events"}) taken with
 * an atomic $inc before the insert, so they increase across restarts and are never reused. A crash
 * between the two leaves a gap in the ids, which replay does not mind.
 */
import type { StreamEventRecord, StreamJournalRepository } from "../types.ts";
import type { Collections } from "./docs.ts";

const COUNTER = "stream_events";

export class MongoStreamJournal implements StreamJournalRepository {
  constructor(private readonly c: Collections) {}

  async append(events: ReadonlyArray<Omit<StreamEventRecord, "id">>): Promise<number[]> {
    if (!events.length) return [];
    const counter = await this.c("counters").findOneAndUpdate(
      { _id: COUNTER },
      { $inc: { seq: events.length } },
      { upsert: true, returnDocument: "after" },
    );
    const first = Number(counter?.seq) - events.length + 1;
    const ids = events.map((_, k) => first + k);
    await this.c("stream_events").insertMany(events.map((e, k) => ({ _id: ids[k], ...e })));
    return ids;
  }
  async after(afterId: number, limit: number): Promise<StreamEventRecord[]> {
    const docs = await this.c("stream_events")
      .find({ _id: { $gt: afterId } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => ({ id: Number(d._id), type: String(d.type), data: String(d.data), at: Number(d.at) }));
  }
  async bounds(): Promise<{ oldest: number | null; last: number }> {
    const [first] = await this.c("stream_events").find({}).sort({ _id: 1 }).limit(1).toArray();
    const counter = await this.c("counters").findOne({ _id: COUNTER });
    return { oldest: first ? Number(first._id) : null, last: Number(counter?.seq ?? 0) };
  }
  async prune(keep: number, before: number): Promise<number> {
    const { last } = await this.bounds();
    const r = await this.c("stream_events").deleteMany({
      $or: [{ _id: { $lte: last - keep } }, { at: { $lt: before } }],
    });
    return r.deletedCount;
  }
}
