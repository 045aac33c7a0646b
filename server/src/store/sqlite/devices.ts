/** Agents (the edge processes, with their MQTT password hash) and their cameras. */
import type { Agent, Camera } from "../../domain/types.ts";
import type { AgentRepository, CameraPatch, CameraRepository } from "../types.ts";
import type { Sql } from "./db.ts";
import { defined } from "./rows.ts";
import { agents, cameras } from "./tables.ts";

export class SqliteAgents implements AgentRepository {
  constructor(private readonly sql: Sql) {}

  async insert(a: Agent): Promise<boolean> {
    return this.sql.run(agents.insertSql(), agents.insertValues(a)).changes === 1;
  }
  async get(id: string): Promise<Agent | undefined> {
    const r = this.sql.get("SELECT * FROM agents WHERE id = ?", [id]);
    return r && agents.read(r);
  }
  async list(): Promise<Agent[]> {
    return this.sql.all("SELECT * FROM agents ORDER BY id").map(agents.read);
  }
  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.sql.run("UPDATE agents SET password_hash = ? WHERE id = ?", [passwordHash, id]).changes === 1;
  }
  async delete(id: string): Promise<boolean> {
    return this.sql.run("DELETE FROM agents WHERE id = ?", [id]).changes === 1;
  }
  async setStatus(id: string, status: Record<string, unknown>, at: number): Promise<void> {
    this.sql.run("UPDATE agents SET status = ?, status_at = ?, last_seen_at = ? WHERE id = ?", [
      agents.encode("status", status),
      at,
      at,
      id,
    ]);
  }
}

export class SqliteCameras implements CameraRepository {
  constructor(private readonly sql: Sql) {}

  /** A camera that sent `events` events at `at` (commitBatch). */
  eventsSync(c: { cameraId: string; agentId: string; at: number; events: number }): void {
    this.sql.run(
      `INSERT INTO cameras (agent_id, id, last_event_at, event_count) VALUES (?, ?, ?, ?)
       ON CONFLICT(agent_id, id) DO UPDATE SET
         last_event_at = MAX(COALESCE(last_event_at, 0), excluded.last_event_at),
         event_count = event_count + excluded.event_count`,
      [c.agentId, c.cameraId, c.at, c.events],
    );
  }

  async get(agentId: string, cameraId: string): Promise<Camera | undefined> {
    const r = this.sql.get("SELECT * FROM cameras WHERE agent_id = ? AND id = ?", [agentId, cameraId]);
    return r && cameras.read(r);
  }
  async list(): Promise<Camera[]> {
    return this.sql.all("SELECT * FROM cameras ORDER BY agent_id, id").map(cameras.read);
  }
  async update(agentId: string, cameraId: string, patch: CameraPatch): Promise<Camera> {
    const set = cameras.assign(defined(patch), ["name", "sensitive"]);
    this.sql.tx(() => {
      this.sql.run("INSERT OR IGNORE INTO cameras (agent_id, id) VALUES (?, ?)", [agentId, cameraId]);
      if (set.sql)
        this.sql.run(
          `UPDATE cameras SET ${set.sql} WHERE agent_id = ? AND id = ?`,
          [...set.params, agentId, cameraId],
          false,
        );
    });
    const cam = await this.get(agentId, cameraId);
    if (!cam) throw new Error(`camera '${agentId}/${cameraId}' vanished`);
    return cam;
  }
  async setStatus(agentId: string, cameraId: string, status: Record<string, unknown>, at: number): Promise<void> {
    const name = typeof status.name === "string" ? status.name.slice(0, 200) : null;
    this.sql.run(
      `INSERT INTO cameras (agent_id, id, config_name, status, status_at, state_since) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(agent_id, id) DO UPDATE SET config_name = excluded.config_name, status = excluded.status,
         status_at = excluded.status_at,
         state_since = CASE WHEN json_extract(cameras.status, '$.state') IS json_extract(excluded.status, '$.state')
           THEN COALESCE(cameras.state_since, excluded.state_since) ELSE excluded.state_since END`,
      [agentId, cameraId, name, cameras.encode("status", status), at, at],
    );
  }
  async setSnapshot(agentId: string, cameraId: string, at: number | null): Promise<void> {
    this.sql.run(
      `INSERT INTO cameras (agent_id, id, snapshot_at) VALUES (?, ?, ?)
       ON CONFLICT(agent_id, id) DO UPDATE SET snapshot_at = excluded.snapshot_at`,
      [agentId, cameraId, at],
    );
  }
}
