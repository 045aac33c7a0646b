/** The identity work's records: the audit log, "not X" exclusions, clustering proposals and jobs. */
import type { AuditEntry, Exclusion, Job, Proposal } from "../../domain/types.ts";
import type {
  AuditFilter,
  AuditRepository,
  ExclusionRepository,
  JobRepository,
  Page,
  ProposalFilter,
  ProposalRepository,
} from "../types.ts";
import { keyset, page, type Sql, whereSql } from "./db.ts";
import { defined } from "./rows.ts";
import { audit, exclusions, jobs, proposals } from "./tables.ts";

export class SqliteAudit implements AuditRepository {
  constructor(private readonly sql: Sql) {}

  async append(e: Omit<AuditEntry, "id">): Promise<number> {
    const fields = audit.fields.filter((f) => f !== "id");
    const r = this.sql.run(
      `INSERT INTO audit (${audit.list(fields)}) VALUES (${fields.map(() => "?").join(", ")})`,
      fields.map((f) => audit.encode(f, e[f as keyof typeof e] as never)),
    );
    return Number(r.lastInsertRowid);
  }
  async list(f: AuditFilter, cursor: string | undefined, limit: number): Promise<Page<AuditEntry>> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [k, col] of [
      ["action", "action"],
      ["targetType", "target_type"],
      ["targetId", "target_id"],
    ] as const) {
      if (f[k] === undefined) continue;
      where.push(`${col} = ?`);
      params.push(f[k]);
    }
    if (f.actor !== undefined) {
      where.push("json_extract(actor, '$.name') = ?");
      params.push(f.actor);
    }
    if (f.from !== undefined) {
      where.push("at >= ?");
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push("at < ?");
      params.push(f.to);
    }
    keyset("id", cursor, where, params);
    const rows = this.sql.all(
      `SELECT * FROM audit ${whereSql(where)} ORDER BY id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, audit.read, (r) => Number(r.id));
  }
  async deleteBefore(before: number): Promise<number> {
    return this.sql.run("DELETE FROM audit WHERE at < ?", [before]).changes;
  }
}

export class SqliteExclusions implements ExclusionRepository {
  constructor(private readonly sql: Sql) {}

  async add(e: Exclusion): Promise<void> {
    this.sql.run(exclusions.insertSql(), exclusions.insertValues(e));
  }
  async personsFor(trackKey: string): Promise<string[]> {
    return this.sql.values("SELECT person_id FROM exclusions WHERE track_key = ?", [trackKey]).map(String);
  }
  async listForPerson(personId: string): Promise<Exclusion[]> {
    return this.sql
      .all("SELECT * FROM exclusions WHERE person_id = ? ORDER BY created_at", [personId])
      .map(exclusions.read);
  }
  async movePerson(fromId: string, intoId: string | null): Promise<void> {
    this.sql.tx(() => {
      if (intoId) this.sql.run("UPDATE OR IGNORE exclusions SET person_id = ? WHERE person_id = ?", [intoId, fromId]);
      this.sql.run("DELETE FROM exclusions WHERE person_id = ?", [fromId]);
    });
  }
}

export class SqliteProposals implements ProposalRepository {
  constructor(private readonly sql: Sql) {}

  async offer(ps: Proposal[]): Promise<number> {
    return this.sql.tx(() => {
      let n = 0;
      for (const p of ps) n += this.sql.run(proposals.insertSql(), proposals.insertValues(p)).changes;
      return n;
    });
  }
  async get(id: string): Promise<Proposal | undefined> {
    const r = this.sql.get("SELECT * FROM proposals WHERE id = ?", [id]);
    return r && proposals.read(r);
  }
  async list(f: ProposalFilter, cursor: string | undefined, limit: number): Promise<Page<Proposal>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status) {
      where.push("status = ?");
      params.push(f.status);
    }
    if (f.kind) {
      where.push("kind = ?");
      params.push(f.kind);
    }
    // Keyset on the score scaled to an integer (cursor keys are numbers), then the id.
    keyset("CAST(score * 1000000 AS INTEGER)", cursor, where, params);
    const rows = this.sql.all(
      `SELECT * FROM proposals ${whereSql(where)} ORDER BY CAST(score * 1000000 AS INTEGER) DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
      false,
    );
    return page(rows, limit, proposals.read, (r) => Math.trunc(Number(r.score) * 1_000_000));
  }
  async decide(id: string, status: "accepted" | "rejected", by: string, at: number): Promise<Proposal | undefined> {
    this.sql.run("UPDATE proposals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'open'", [
      status,
      at,
      by,
      id,
    ]);
    return this.get(id);
  }
  async dropOpenNaming(id: string): Promise<number> {
    return this.sql.run("DELETE FROM proposals WHERE status = 'open' AND (a = ? OR b = ?)", [id, id]).changes;
  }
}

export class SqliteJobs implements JobRepository {
  constructor(private readonly sql: Sql) {}

  async insert(j: Job): Promise<void> {
    this.sql.run(jobs.insertSql(false), jobs.insertValues(j));
  }
  async update(id: string, patch: Partial<Omit<Job, "id" | "kind" | "createdAt">>): Promise<Job | undefined> {
    const set = jobs.assign(defined(patch));
    if (set.sql) this.sql.run(`UPDATE jobs SET ${set.sql} WHERE id = ?`, [...set.params, id], false);
    return this.get(id);
  }
  async get(id: string): Promise<Job | undefined> {
    const r = this.sql.get("SELECT * FROM jobs WHERE id = ?", [id]);
    return r && jobs.read(r);
  }
  async list(limit: number): Promise<Job[]> {
    return this.sql.all("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", [limit]).map(jobs.read);
  }
}
