/**
 * Typed row mapping: a table is declared once as `field: codec` (tables.ts), in column order; the
 * column is the snake_case of the field. The same declaration builds INSERT column lists, SET clauses
 * and the record read back from a row, so adding a column is one line there (plus its migration).
 */

/** What better-sqlite3 binds and returns. */
export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, unknown>;

export interface Codec<V> {
  /** Record value -> bound parameter. */
  to(v: V): SqlValue;
  /** Column value -> record value. */
  from(x: unknown): V;
}

const text: Codec<string> = { to: (v) => v, from: (x) => String(x) };

/** A TEXT column holding one of a string union (not checked on read: the server wrote it). */
function oneOf<T extends string>(): Codec<T> {
  return { to: (v) => v, from: (x) => String(x) as T };
}

/** INTEGER or REAL. */
const num: Codec<number> = { to: (v) => v, from: (x) => Number(x) };

/** INTEGER 0/1. */
const bool: Codec<boolean> = { to: (v) => (v ? 1 : 0), from: (x) => x === 1 };

/** TEXT holding JSON; SQL NULL reads back as `empty` (when given) or null. */
function json<T>(empty?: T): Codec<T> {
  return {
    to: (v) =>
      v === null || v === undefined ? (empty === undefined ? null : JSON.stringify(empty)) : JSON.stringify(v),
    from: (x) => (x === null || x === undefined ? (empty ?? null) : JSON.parse(String(x))),
  };
}

const blob: Codec<Buffer> = { to: (v) => v, from: (x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x))) };

export function embeddingToBlob(e: Float32Array): Buffer {
  return Buffer.from(e.buffer, e.byteOffset, e.byteLength);
}
export function embeddingFromBlob(b: Uint8Array): Float32Array {
  // Copy: the driver's buffer may not be 4-byte aligned.
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** A BLOB of little-endian float32 (a face embedding). */
const embedding: Codec<Float32Array> = {
  to: embeddingToBlob,
  from: (x) => embeddingFromBlob(x instanceof Uint8Array ? x : new Uint8Array()),
};

/** NULL <-> null around another codec. */
function nullable<V>(c: Codec<V>): Codec<V | null> {
  return {
    to: (v) => (v === null || v === undefined ? null : c.to(v)),
    from: (x) => (x === null || x === undefined ? null : c.from(x)),
  };
}

export const col = { text, oneOf, num, bool, json, blob, embedding, nullable };

export const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export type Columns<T> = { [K in keyof T]-?: Codec<T[K]> };

export interface Table<T> {
  readonly name: string;
  readonly fields: ReadonlyArray<keyof T>;
  /** The column of a field. */
  column(field: keyof T): string;
  /** `a, b, c` for a SELECT list (every column, or these fields'). */
  list(fields?: ReadonlyArray<keyof T>): string;
  /** The record of a row. */
  read(row: Row): T;
  /** Some fields of a row (a narrower SELECT). */
  pick<K extends keyof T>(row: Row, fields: readonly K[]): Pick<T, K>;
  /** One field's value as bound. */
  encode<K extends keyof T>(field: K, value: T[K]): SqlValue;
  /** `INSERT [OR IGNORE] INTO t (every column) VALUES (?, ...)`, for insertValues. */
  insertSql(orIgnore?: boolean): string;
  insertValues(record: T): SqlValue[];
  /**
   * `a = ?, b = ?` and its parameters for the fields present in `patch` (undefined binds as NULL),
   * limited to `only` when given; empty when nothing is set.
   */
  assign(patch: Partial<T>, only?: ReadonlyArray<keyof T>): { sql: string; params: SqlValue[] };
}

export function table<T>(name: string, columns: Columns<T>): Table<T> {
  const fields = Object.keys(columns) as Array<keyof T>;
  const columnOf = new Map(fields.map((f) => [f, snake(String(f))]));
  const column = (f: keyof T) => columnOf.get(f) ?? snake(String(f));
  const codec = <K extends keyof T>(f: K): Codec<T[K]> => columns[f];
  const insert = `INSERT INTO ${name} (${fields.map(column).join(", ")}) VALUES (${fields.map(() => "?").join(", ")})`;
  const insertOrIgnore = insert.replace("INSERT INTO", "INSERT OR IGNORE INTO");
  const pick = <K extends keyof T>(row: Row, want: readonly K[]): Pick<T, K> => {
    const out: Partial<Pick<T, K>> = {};
    for (const f of want) out[f] = codec(f).from(row[column(f)]);
    return out as Pick<T, K>;
  };
  return {
    name,
    fields,
    column,
    list: (want = fields) => want.map(column).join(", "),
    read: (row) => pick(row, fields) as T,
    pick,
    encode: (f, v) => codec(f).to(v),
    insertSql: (orIgnore = true) => (orIgnore ? insertOrIgnore : insert),
    insertValues: (r) => fields.map((f) => codec(f).to(r[f])),
    assign(patch, only) {
      const set = (Object.keys(patch) as Array<keyof T>).filter((f) => columnOf.has(f) && (!only || only.includes(f)));
      return {
        sql: set.map((f) => `${column(f)} = ?`).join(", "),
        params: set.map((f) => codec(f).to(patch[f] as T[typeof f])),
      };
    },
  };
}

/** The fields of a patch that are set (not undefined). */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
