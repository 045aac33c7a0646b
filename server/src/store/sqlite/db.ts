/** The connection helper every SQLite repository shares: cached statements, typed rows, keyset pages. */
import type Database from "better-sqlite3";
import type { CameraRef } from "../../domain/types.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import type { Page } from "../types.ts";
import type { Row } from "./rows.ts";

type Stmt = Database.Statement<unknown[], Row>;

export class Sql {
  private readonly stmts = new Map<string, Stmt>();

  constructor(readonly db: Database.Database) {}

  /**
   * A prepared statement, cached by its text. SQL assembled per call (filters, patches) passes
   * cache = false, so odd combinations do not pile up.
   */
  st(sql: string, cache = true): Stmt {
    if (!cache) return this.db.prepare<unknown[], Row>(sql);
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare<unknown[], Row>(sql)));
    return s;
  }

  get(sql: string, params: unknown[] = [], cache = true): Row | undefined {
    return this.st(sql, cache)
      .pluck(false)
      .get(...params);
  }
  all(sql: string, params: unknown[] = [], cache = true): Row[] {
    return this.st(sql, cache)
      .pluck(false)
      .all(...params);
  }
  run(sql: string, params: unknown[] = [], cache = true): Database.RunResult {
    return this.st(sql, cache).run(...params);
  }
  /** The first column of the first row (undefined when there is no row). */
  value(sql: string, params: unknown[] = []): unknown {
    return this.st(sql)
      .pluck(true)
      .get(...params);
  }
  /** The first column of every row. */
  values(sql: string, params: unknown[] = []): unknown[] {
    return this.st(sql)
      .pluck(true)
      .all(...params);
  }
  /** A numeric first column (COUNT, MAX); 0 for NULL or no row. */
  number(sql: string, params: unknown[] = []): number {
    return Number(this.value(sql, params) ?? 0);
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  tx<R>(fn: () => R): R {
    return this.db.transaction(fn)();
  }
}

/** Keyset pagination: rows strictly after the cursor in (key DESC, id DESC) order. */
export function keyset(
  keyExpr: string,
  cursor: string | undefined,
  where: string[],
  params: unknown[],
  idExpr = "id",
): void {
  const c = decodeCursor(cursor);
  if (!c) return;
  where.push(`(${keyExpr} < ? OR (${keyExpr} = ? AND ${idExpr} < ?))`);
  params.push(c.key, c.key, c.id);
}

export const whereSql = (where: string[]) => (where.length ? `WHERE ${where.join(" AND ")}` : "");

/** Rows of any of these cameras: (agent, camera) for a key, the camera id at any agent for a bare id. */
export function cameraWhere(refs: readonly CameraRef[], prefix = ""): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const one = refs.map((r) => {
    if (r.agentId === undefined) {
      params.push(r.cameraId);
      return `${prefix}camera_id = ?`;
    }
    params.push(r.agentId, r.cameraId);
    return `(${prefix}agent_id = ? AND ${prefix}camera_id = ?)`;
  });
  return { sql: `(${one.join(" OR ")})`, params };
}

/** A page of `limit` items from `limit + 1` rows; the cursor names the last item's key and id. */
export function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => number): Page<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: more && last ? encodeCursor(key(last), String(last.id)) : null,
  };
}
