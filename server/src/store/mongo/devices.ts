/** Agents (the edge processes, with their MQTT password hash) and their cameras. */
import type { Document } from "mongodb";
import { type Agent, type Camera, cameraKey } from "../../domain/types.ts";
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

/** Camera documents are keyed by `agent/camera` (the camera key), with both parts as fields. */
const toCamera = (d: Doc): Camera => ({
  agentId: d.agentId as string,
  id: d.cameraId as string,
  name: (d.name as string) ?? null,
  configName: (d.configName as string) ?? null,
  sensitive: !!d.sensitive,
  status: (d.status as Record<string, unknown>) ?? null,
  statusAt: (d.statusAt as number) ?? null,
  stateSince: (d.stateSince as number) ?? null,
  lastEventAt: (d.lastEventAt as number) ?? null,
  eventCount: (d.eventCount as number) ?? 0,
  snapshotAt: (d.snapshotAt as number) ?? null,
});

const blank = { name: null, configName: null, sensitive: false, status: null, statusAt: null, stateSince: null };

export class MongoCameras implements CameraRepository {
  constructor(private readonly c: Collections) {}

  /** A camera that sent `events` events at `at` (commitBatch). */
  async events(c: { cameraId: string; agentId: string; at: number; events: number }): Promise<void> {
    await this.c("cameras").updateOne(
      { _id: cameraKey(c.agentId, c.cameraId) },
      {
        $max: { lastEventAt: c.at },
        $inc: { eventCount: c.events },
        $setOnInsert: { agentId: c.agentId, cameraId: c.cameraId, ...blank },
      },
      { upsert: true },
    );
  }

  async get(agentId: string, cameraId: string): Promise<Camera | undefined> {
    const d = await this.c("cameras").findOne({ _id: cameraKey(agentId, cameraId) });
    return d ? toCamera(d) : undefined;
  }
  async list(): Promise<Camera[]> {
    return (await this.c("cameras").find().sort({ agentId: 1, cameraId: 1 }).toArray()).map(toCamera);
  }
  async update(agentId: string, cameraId: string, patch: CameraPatch): Promise<Camera> {
    const set: Document = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.sensitive !== undefined) set.sensitive = patch.sensitive;
    const insert: Document = { agentId, cameraId, ...blank, lastEventAt: null, eventCount: 0 };
    for (const k of Object.keys(set)) delete insert[k];
    await this.c("cameras").updateOne(
      { _id: cameraKey(agentId, cameraId) },
      { $set: set, $setOnInsert: insert },
      { upsert: true },
    );
    const cam = await this.get(agentId, cameraId);
    if (!cam) throw new Error(`camera '${agentId}/${cameraId}' vanished`);
    return cam;
  }
  async setStatus(agentId: string, cameraId: string, status: Record<string, unknown>, at: number): Promise<void> {
    const _id = cameraKey(agentId, cameraId);
    const configName = typeof status.name === "string" ? status.name.slice(0, 200) : null;
    // stateSince moves only when the state changes: an update pipeline compares the stored state.
    await this.c("cameras").updateOne(
      { _id },
      [
        {
          $set: {
            agentId,
            cameraId,
            configName,
            stateSince: {
              $cond: [{ $eq: ["$status.state", status.state] }, { $ifNull: ["$stateSince", at] }, at],
            },
            status: { $literal: status },
            statusAt: at,
            name: { $ifNull: ["$name", null] },
            sensitive: { $ifNull: ["$sensitive", false] },
            lastEventAt: { $ifNull: ["$lastEventAt", null] },
            eventCount: { $ifNull: ["$eventCount", 0] },
          },
        },
      ],
      { upsert: true },
    );
  }
  async setSnapshot(agentId: string, cameraId: string, at: number | null): Promise<void> {
    await this.c("cameras").updateOne(
      { _id: cameraKey(agentId, cameraId) },
      { $set: { snapshotAt: at }, $setOnInsert: { agentId, cameraId, ...blank, lastEventAt: null, eventCount: 0 } },
      { upsert: true },
    );
  }
}
