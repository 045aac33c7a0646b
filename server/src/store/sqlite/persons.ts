import type { Face, FaceWithEmbedding, Person } from "../../domain/types.ts";
import type { Page, PersonBrief, PersonFilter, PersonPatch, PersonRepository } from "../types.ts";
import { keyset, page, type Sql, whereSql } from "./db.ts";
import { defined } from "./rows.ts";
import { FACE_FIELDS, faces, persons } from "./tables.ts";

const PATCHABLE = ["name", "list", "meta", "kind", "cameraId"] as const;
const BRIEF = ["id", "kind", "list", "cameraId"] as const;

export class SqlitePersons implements PersonRepository {
  constructor(private readonly sql: Sql) {}

  insertSync(p: Person): void {
    this.sql.run(persons.insertSql(), persons.insertValues(p));
  }
  /** Seen at `at` with `added` new sightings (commitBatch). */
  seenSync(id: string, at: number, added: number): void {
    this.sql.run(
      "UPDATE persons SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?), sighting_count = sighting_count + ? WHERE id = ?",
      [at, added, id],
    );
  }
  /** A stored sighting moved to or from the person. */
  countSync(id: string, delta: number): void {
    this.sql.run("UPDATE persons SET sighting_count = MAX(0, sighting_count + ?) WHERE id = ?", [delta, id]);
  }
  async insert(p: Person): Promise<void> {
    this.insertSync(p);
  }

  async get(id: string): Promise<Person | undefined> {
    const r = this.sql.get("SELECT * FROM persons WHERE id = ?", [id]);
    return r && persons.read(r);
  }

  async list(f: PersonFilter, cursor: string | undefined, limit: number): Promise<Page<Person>> {
    const keyExpr =
      f.sort === "lastSeen" ? "COALESCE(last_seen_at, 0)" : f.sort === "sightings" ? "sighting_count" : "created_at";
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.list === "none") where.push("list IS NULL");
    else if (f.list) {
      where.push("list = ?");
      params.push(f.list);
    }
    if (f.kind) {
      where.push("kind = ?");
      params.push(f.kind);
    }
    if (f.q) {
      where.push("instr(lower(name), lower(?)) > 0");
      params.push(f.q);
    }
    keyset(keyExpr, cursor, where, params);
    const rows = this.sql.all(
      `SELECT *, ${keyExpr} AS sort_key FROM persons ${whereSql(where)} ORDER BY ${keyExpr} DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, persons.read, (r) => Number(r.sort_key));
  }

  async update(id: string, patch: PersonPatch, at: number): Promise<Person | undefined> {
    const set = persons.assign({ updatedAt: at, ...defined(patch) }, ["updatedAt", ...PATCHABLE]);
    const r = this.sql.run(`UPDATE persons SET ${set.sql} WHERE id = ?`, [...set.params, id], false);
    return r.changes ? this.get(id) : undefined;
  }

  async delete(id: string): Promise<{ faceIds: number[]; sightingIds: string[] } | undefined> {
    return this.sql.tx(() => {
      if (!this.sql.get("SELECT 1 FROM persons WHERE id = ?", [id])) return undefined;
      const faceIds = this.sql.values("SELECT id FROM faces WHERE person_id = ?", [id]).map(Number);
      const sightingIds = this.sql.values("SELECT id FROM sightings WHERE person_id = ?", [id]).map(String);
      this.sql.run(
        "DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE person_id = ? OR sighting_id IN (SELECT id FROM sightings WHERE person_id = ?))",
        [id, id],
      );
      this.sql.run(
        "DELETE FROM alerts WHERE person_id = ? OR sighting_id IN (SELECT id FROM sightings WHERE person_id = ?)",
        [id, id],
      );
      this.sql.run("DELETE FROM sightings WHERE person_id = ?", [id]);
      this.sql.run("DELETE FROM faces WHERE person_id = ?", [id]);
      this.sql.run("DELETE FROM persons WHERE id = ?", [id]);
      return { faceIds, sightingIds };
    });
  }

  async merge(intoId: string, fromId: string, at: number): Promise<void> {
    this.sql.tx(() => {
      this.sql.run("UPDATE sightings SET person_id = ? WHERE person_id = ?", [intoId, fromId]);
      this.sql.run("UPDATE faces SET person_id = ? WHERE person_id = ?", [intoId, fromId]);
      this.sql.run("UPDATE alerts SET person_id = ? WHERE person_id = ?", [intoId, fromId]);
      this.sql.run(
        `UPDATE persons SET sighting_count = (SELECT COUNT(*) FROM sightings WHERE person_id = ?),
           last_seen_at = (SELECT MAX(last_seen_at) FROM sightings WHERE person_id = ?), updated_at = ? WHERE id = ?`,
        [intoId, intoId, at, intoId],
      );
      this.sql.run("DELETE FROM persons WHERE id = ?", [fromId]);
    });
  }

  async firstSeen(ids: string[]): Promise<Map<string, number>> {
    // One MIN per person: SQLite answers each with a single seek in sightings_person (person_id,
    // captured_at); a GROUP BY over an IN list would read every sighting of those persons instead.
    const out = new Map<string, number>();
    for (const id of new Set(ids)) {
      const v = this.sql.value("SELECT MIN(captured_at) FROM sightings WHERE person_id = ?", [id]);
      if (v !== null && v !== undefined) out.set(id, Number(v));
    }
    return out;
  }

  async brief(): Promise<PersonBrief[]> {
    return this.sql.all(`SELECT ${persons.list(BRIEF)} FROM persons`).map((r) => persons.pick(r, BRIEF));
  }

  async emptyAuto(limit: number): Promise<string[]> {
    return this.sql
      .values(
        `SELECT p.id FROM persons p WHERE p.kind = 'auto' AND p.list IS NULL
         AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.person_id = p.id) LIMIT ?`,
        [limit],
      )
      .map(String);
  }

  async maxAutoNumber(): Promise<number> {
    return this.sql.number("SELECT MAX(auto_number) FROM persons");
  }
  async count(): Promise<number> {
    return this.sql.number("SELECT COUNT(*) FROM persons");
  }

  // ---------------------------------------------------------------- faces

  insertFaceSync(f: FaceWithEmbedding): void {
    this.sql.run(faces.insertSql(), faces.insertValues(f));
  }
  deleteFacesSync(ids: number[]): void {
    for (const id of ids) this.sql.run("DELETE FROM faces WHERE id = ?", [id]);
  }

  async insertFace(f: FaceWithEmbedding): Promise<void> {
    this.insertFaceSync(f);
  }
  async deleteFaces(ids: number[]): Promise<void> {
    this.sql.tx(() => this.deleteFacesSync(ids));
  }
  async listFaces(personId: string): Promise<Face[]> {
    return this.sql
      .all(`SELECT ${faces.list(FACE_FIELDS)} FROM faces WHERE person_id = ? ORDER BY id`, [personId])
      .map((r) => faces.pick(r, FACE_FIELDS));
  }
  async getFace(id: number): Promise<Face | undefined> {
    const r = this.sql.get(`SELECT ${faces.list(FACE_FIELDS)} FROM faces WHERE id = ?`, [id]);
    return r && faces.pick(r, FACE_FIELDS);
  }
  async allFaces(): Promise<Face[]> {
    return this.sql
      .all(`SELECT ${faces.list(FACE_FIELDS)} FROM faces ORDER BY id`)
      .map((r) => faces.pick(r, FACE_FIELDS));
  }
  async faceEmbeddings(ids: number[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    for (const id of ids) {
      const r = this.sql.get("SELECT embedding FROM faces WHERE id = ?", [id]);
      if (r) out.set(id, faces.pick(r, ["embedding"]).embedding);
    }
    return out;
  }
  async maxFaceId(): Promise<number> {
    return this.sql.number("SELECT MAX(id) FROM faces");
  }
}
