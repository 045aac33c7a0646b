import type { CameraKey, Sighting } from "../../domain/types.ts";
import type { IndexedSighting, Page, SightingEmbedding, SightingFilter, SightingRepository } from "../types.ts";
import { cameraWhere, keyset, page, type Sql, whereSql } from "./db.ts";
import { embeddingFromBlob, embeddingToBlob } from "./rows.ts";
import { SIGHTING_SELECT, sightings } from "./tables.ts";

export class SqliteSightings implements SightingRepository {
  constructor(private readonly sql: Sql) {}

  /** False when the id exists (a replayed batch). */
  insertSync(s: Sighting): boolean {
    return this.sql.run(sightings.insertSql(), sightings.insertValues(s)).changes === 1;
  }

  /** Returns the person before the update when `set` changes it (for the persons' sighting counts). */
  updateSync(id: string, set: Partial<Sighting>): { from: string | null } | undefined {
    const a = sightings.assign(
      set,
      sightings.fields.filter((f) => f !== "id"),
    );
    if (!a.sql) return undefined;
    let moved: { from: string | null } | undefined;
    if (set.personId !== undefined) {
      const r = this.sql.get("SELECT person_id FROM sightings WHERE id = ?", [id]);
      const from = r ? (r.person_id === null ? null : String(r.person_id)) : set.personId;
      if (from !== set.personId) moved = { from };
    }
    this.sql.run(`UPDATE sightings SET ${a.sql} WHERE id = ?`, [...a.params, id]);
    return moved;
  }

  /** An event id handled (for dedup). */
  /** The embedding a sighting was identified with, and its history-index label (commitBatch). */
  embeddingSync(e: SightingEmbedding): void {
    this.sql.run("UPDATE sightings SET embedding = ?, index_id = ? WHERE id = ?", [
      embeddingToBlob(e.embedding),
      e.indexId,
      e.id,
    ]);
  }

  async embeddings(ids: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const id of ids) {
      const b = this.sql.value("SELECT embedding FROM sightings WHERE id = ?", [id]);
      if (b instanceof Uint8Array) out.set(id, embeddingFromBlob(b));
    }
    return out;
  }

  async indexed(afterIndexId: number, limit: number): Promise<IndexedSighting[]> {
    return this.sql
      .all(
        `SELECT id, index_id, embedding, person_id, agent_id, camera_id, captured_at FROM sightings
         WHERE index_id > ? AND embedding IS NOT NULL ORDER BY index_id LIMIT ?`,
        [afterIndexId, limit],
      )
      .map((r) => ({
        id: String(r.id),
        indexId: Number(r.index_id),
        embedding: embeddingFromBlob(r.embedding as Uint8Array),
        personId: r.person_id === null ? null : String(r.person_id),
        agentId: String(r.agent_id),
        cameraId: String(r.camera_id),
        capturedAt: Number(r.captured_at),
      }));
  }

  async maxIndexId(): Promise<number> {
    return this.sql.number("SELECT COALESCE(MAX(index_id), 0) FROM sightings");
  }

  eventSync(e: { eventId: string; sightingId: string | null; receivedAt: number }): void {
    this.sql.run("INSERT OR IGNORE INTO events (event_id, sighting_id, received_at) VALUES (?, ?, ?)", [
      e.eventId,
      e.sightingId,
      e.receivedAt,
    ]);
  }

  async get(id: string): Promise<Sighting | undefined> {
    const r = this.sql.get(`SELECT ${SIGHTING_SELECT} FROM sightings s WHERE id = ?`, [id]);
    return r && sightings.read(r);
  }

  async list(f: SightingFilter, cursor: string | undefined, limit: number): Promise<Page<Sighting>> {
    const { where, params, join } = this.filterSql(f);
    keyset("s.captured_at", cursor, where, params, "s.id");
    const rows = this.sql.all(
      `SELECT ${SIGHTING_SELECT} FROM sightings s ${join}
       ${whereSql(where)} ORDER BY s.captured_at DESC, s.id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, sightings.read, (r) => Number(r.captured_at));
  }

  async countUpTo(f: SightingFilter, max: number): Promise<number> {
    const { where, params, join } = this.filterSql(f);
    return Number(
      this.sql.get(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM sightings s ${join} ${whereSql(where)} LIMIT ?)`,
        [...params, max],
        false,
      )?.n ?? 0,
    );
  }

  /** The WHERE terms of a filter (over `sightings s`, joined to `persons p` when the filter needs it). */
  private filterSql(f: SightingFilter): { where: string[]; params: unknown[]; join: string } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.personId) {
      where.push("s.person_id = ?");
      params.push(f.personId);
    }
    if (f.cameras?.length) {
      const any = cameraWhere(f.cameras, "s.");
      where.push(any.sql);
      params.push(...any.params);
    }
    if (f.from !== undefined) {
      where.push("s.captured_at >= ?");
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push("s.captured_at < ?");
      params.push(f.to);
    }
    if (f.grade) {
      where.push("s.grade = ?");
      params.push(f.grade);
    }
    const unidentified = f.kind === "unidentified";
    if (unidentified) where.push("s.person_id IS NULL");
    const join = f.list || (f.kind && !unidentified);
    if (f.list === "none") where.push("p.list IS NULL");
    else if (f.list) {
      where.push("p.list = ?");
      params.push(f.list);
    }
    if (f.kind && !unidentified) {
      where.push("p.kind = ?");
      params.push(f.kind);
    }
    return { where, params, join: join ? "LEFT JOIN persons p ON p.id = s.person_id" : "" };
  }

  async findTrack(agentId: string, cameraId: string, trackId: string, since: number): Promise<Sighting | undefined> {
    const r = this.sql.get(
      `SELECT ${SIGHTING_SELECT} FROM sightings s WHERE agent_id = ? AND camera_id = ? AND track_id = ? AND last_seen_at >= ?
       ORDER BY last_seen_at DESC LIMIT 1`,
      [agentId, cameraId, trackId, since],
    );
    return r && sightings.read(r);
  }

  async knownEventIds(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const id of ids) if (this.sql.value("SELECT 1 FROM events WHERE event_id = ?", [id])) out.add(id);
    return out;
  }

  async deleteEventIdsBefore(before: number): Promise<number> {
    return this.sql.run("DELETE FROM events WHERE received_at < ?", [before]).changes;
  }

  async distinctDays(personId: string, agentId: string, cameraId: string, sinceDay: number): Promise<number[]> {
    return this.sql
      .values(
        "SELECT DISTINCT day FROM sightings WHERE person_id = ? AND agent_id = ? AND camera_id = ? AND day >= ? ORDER BY day",
        [personId, agentId, cameraId, sinceDay],
      )
      .map(Number);
  }

  async regularCameras(personId: string, sinceDay: number, minDays: number): Promise<CameraKey[]> {
    return this.sql
      .values(
        `SELECT agent_id || '/' || camera_id FROM sightings WHERE person_id = ? AND day >= ?
         GROUP BY agent_id, camera_id HAVING COUNT(DISTINCT day) >= ? ORDER BY agent_id, camera_id`,
        [personId, sinceDay, minDays],
      )
      .map(String);
  }

  async reassign(
    ids: string[],
    personId: string | null,
    at: number,
    unlinkedReason: string | null,
  ): Promise<{ before: Sighting[]; deletedFaceIds: number[] }> {
    return this.sql.tx(() => {
      const before: Sighting[] = [];
      for (const id of ids) {
        const r = this.sql.get(`SELECT ${SIGHTING_SELECT} FROM sightings s WHERE id = ?`, [id]);
        if (r) before.push(sightings.read(r));
      }
      const list = personId ? this.sql.value("SELECT list FROM persons WHERE id = ?", [personId]) : null;
      const verdict = typeof list === "string" ? list : "none";
      const deletedFaceIds: number[] = [];
      const touched = new Set<string>();
      if (personId) touched.add(personId);
      for (const s of before) {
        if (s.personId) {
          touched.add(s.personId);
          for (const f of this.sql.values("SELECT id FROM faces WHERE sighting_id = ? AND person_id = ?", [
            s.id,
            s.personId,
          ]))
            deletedFaceIds.push(Number(f));
        }
        this.sql.run(
          "UPDATE sightings SET person_id = ?, similarity = NULL, grade = NULL, verdict = ?, unlinked_reason = ? WHERE id = ?",
          [personId, verdict, personId ? null : unlinkedReason, s.id],
        );
        this.sql.run("UPDATE alerts SET person_id = ? WHERE sighting_id = ?", [personId, s.id]);
      }
      for (const id of deletedFaceIds) this.sql.run("DELETE FROM faces WHERE id = ?", [id]);
      for (const pid of touched)
        this.sql.run(
          `UPDATE persons SET sighting_count = (SELECT COUNT(*) FROM sightings WHERE person_id = ?),
             last_seen_at = (SELECT MAX(last_seen_at) FROM sightings WHERE person_id = ?), updated_at = ? WHERE id = ?`,
          [pid, pid, at, pid],
        );
      return { before, deletedFaceIds };
    });
  }

  async deleteBefore(before: number, keepListed: boolean, limit: number): Promise<string[]> {
    return this.sql.tx(() => {
      const rows = this.sql.all(
        `SELECT s.id, s.person_id FROM sightings s LEFT JOIN persons p ON p.id = s.person_id
         WHERE s.last_seen_at < ? ${keepListed ? "AND p.list IS NULL" : ""} LIMIT ?`,
        [before, limit],
      );
      const perPerson = new Map<string, number>();
      for (const r of rows) {
        this.sql.run("DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE sighting_id = ?)", [r.id]);
        this.sql.run("DELETE FROM alerts WHERE sighting_id = ?", [r.id]);
        this.sql.run("DELETE FROM sightings WHERE id = ?", [r.id]);
        if (typeof r.person_id === "string" && r.person_id)
          perPerson.set(r.person_id, (perPerson.get(r.person_id) ?? 0) + 1);
      }
      for (const [pid, n] of perPerson) {
        this.sql.run("UPDATE persons SET sighting_count = MAX(0, sighting_count - ?) WHERE id = ?", [n, pid]);
      }
      return rows.map((r) => String(r.id));
    });
  }

  async count(): Promise<number> {
    return this.sql.number("SELECT COUNT(*) FROM sightings");
  }
}
