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
      `INSERT INTO cameras (id, agent_id, last_event_at, event_count) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET agent_id = excluded.agent_id,
         last_event_at = MAX(COALESCE(last_event_at, 0), excluded.last_event_at),
         event_count = event_count + excluded.event_count`,
      [c.cameraId, c.agentId, c.at, c.events],
    );
  }

  async get(id: string): Promise<Camera | undefined> {
    const r = this.sql.get("SELECT * FROM cameras WHERE id = ?", [id]);
    return r && cameras.read(r);
  }
  async list(): Promise<Camera[]> {
    return this.sql.all("SELECT * FROM cameras ORDER BY id").map(cameras.read);
  }
  async update(id: string, patch: CameraPatch): Promise<Camera> {
    const set = cameras.assign(defined(patch), ["name", "sensitive"]);
    this.sql.tx(() => {
      this.sql.run("INSERT OR IGNORE INTO cameras (id) VALUES (?)", [id]);
      if (set.sql) this.sql.run(`UPDATE cameras SET ${set.sql} WHERE id = ?`, [...set.params, id], false);
    });
    const cam = await this.get(id);
    if (!cam) throw new Error(`camera '${id}' vanished`);
    return cam;
  }
  async setStatus(cameraId: string, agentId: string, status: Record<string, unknown>, at: number): Promise<void> {
    this.sql.run(
      `INSERT INTO cameras (id, agent_id, status, status_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET agent_id = excluded.agent_id, status = excluded.status, status_at = excluded.status_at`,
      [cameraId, agentId, cameras.encode("status", status), at],
    );
  }
}
