import type { Document } from "mongodb";
import type { Alert } from "../../domain/types.ts";
import type { AlertFilter, AlertRepository, Page } from "../types.ts";
import { type Collections, cameraQuery, fromDoc, pageOf } from "./docs.ts";

export class MongoAlerts implements AlertRepository {
  constructor(private readonly c: Collections) {}

  async get(id: string): Promise<Alert | undefined> {
    return fromDoc<Alert>(await this.c("alerts").findOne({ _id: id }));
  }
  async list(f: AlertFilter, cursor: string | undefined, limit: number): Promise<Page<Alert>> {
    const q: Document = {};
    if (f.type) q.type = f.type;
    if (f.acked === true) q.ackedAt = { $ne: null };
    if (f.acked === false) q.ackedAt = null;
    if (f.personId) q.personId = f.personId;
    if (f.camera) Object.assign(q, cameraQuery(f.camera));
    return pageOf<Alert>(this.c("alerts"), q, "createdAt", cursor, limit);
  }
  async ack(id: string, by: string, at: number): Promise<Alert | undefined> {
    await this.c("alerts").updateOne({ _id: id, ackedAt: null }, { $set: { ackedAt: at, ackedBy: by } });
    return this.get(id);
  }
}
