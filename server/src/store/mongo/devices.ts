/** Agents (the edge processes, with their MQTT password hash) and their cameras. */
import type { Document } from "mongodb";
import type { Agent, Camera } from "../../domain/types.ts";
import type { AgentRepository, CameraPatch, CameraRepository } from "../types.ts";
import { type Collections, type Doc, fromDoc, insertNew, withId } from "./docs.ts";

export class MongoAgents implements AgentRepository {
  constructor(private readonly c: Collections) {}

  async insert(a: Agent): Promise<boolean> {
    return insertNew(this.c("agents"), withId(a));
  }
  async get(id: string): Promise<Agent | undefined> {
    return fromDoc<Agent>(await this.c("agents").findOne({ _id: id }));
  }
  async list(): Promise<Agent[]> {
    return (await this.c("agents").find().sort({ _id: 1 }).toArray()).map((d) => fromDoc<Agent>(d)!);
  }
  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.c("agents").updateOne({ _id: id }, { $set: { passwordHash } })).matchedCount === 1;
  }
  async delete(id: string): Promise<boolean> {
    return (await this.c("agents").deleteOne({ _id: id })).deletedCount === 1;
  }
  async setStatus(id: string, status: Record<string, unknown>, at: number): Promise<void> {
    await this.c("agents").updateOne({ _id: id }, { $set: { status, statusAt: at, lastSeenAt: at } });
  }
}

const toCamera = (d: Doc): Camera => ({
  id: d._id as string,
  agentId: (d.agentId as string) ?? null,
  name: (d.name as string) ?? null,
  sensitive: !!d.sensitive,
  status: (d.status as Record<string, unknown>) ?? null,
  statusAt: (d.statusAt as number) ?? null,
  lastEventAt: (d.lastEventAt as number) ?? null,
  eventCount: (d.eventCount as number) ?? 0,
});

export class MongoCameras implements CameraRepository {
  constructor(private readonly c: Collections) {}

  /** A camera that sent `events` events at `at` (commitBatch). */
  async events(c: { cameraId: string; agentId: string; at: number; events: number }): Promise<void> {
    await this.c("cameras").updateOne(
      { _id: c.cameraId },
      {
        $set: { agentId: c.agentId },
        $max: { lastEventAt: c.at },
        $inc: { eventCount: c.events },
        $setOnInsert: { name: null, sensitive: false, status: null, statusAt: null },
      },
      { upsert: true },
    );
  }

  async get(id: string): Promise<Camera | undefined> {
    const d = await this.c("cameras").findOne({ _id: id });
    return d ? toCamera(d) : undefined;
  }
  async list(): Promise<Camera[]> {
    return (await this.c("cameras").find().sort({ _id: 1 }).toArray()).map(toCamera);
  }
  async update(id: string, patch: CameraPatch): Promise<Camera> {
    const set: Document = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.sensitive !== undefined) set.sensitive = patch.sensitive;
    const insert: Document = { agentId: null, status: null, statusAt: null, lastEventAt: null, eventCount: 0 };
    if (patch.name === undefined) insert.name = null;
    if (patch.sensitive === undefined) insert.sensitive = false;
    await this.c("cameras").updateOne({ _id: id }, { $set: set, $setOnInsert: insert }, { upsert: true });
    const cam = await this.get(id);
    if (!cam) throw new Error(`camera '${id}' vanished`);
    return cam;
  }
  async setStatus(cameraId: string, agentId: string, status: Record<string, unknown>, at: number): Promise<void> {
    await this.c("cameras").updateOne(
      { _id: cameraId },
      {
        $set: { agentId, status, statusAt: at },
        $setOnInsert: { name: null, sensitive: false, lastEventAt: null, eventCount: 0 },
      },
      { upsert: true },
    );
  }
}
