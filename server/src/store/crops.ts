/**
 * JPEG crops on disk, shared by both stores: <dir>/<kind>/<2 hex chars>/<id>.jpg. Files are written
 * before the database commit that references them (a crash leaves at most an orphan file, which the
 * same id overwrites on redelivery), and deleted after the rows are gone. Files are the owner's only
 * (0600 in 0700 directories): crops are faces.
 */
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { insideDir } from "../util/paths.ts";

export type CropKind = "sightings" | "context" | "faces";

/** Sighting ids are UUID-shaped (derivedId); face ids are integers. Anything else names no crop. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const validId = (kind: CropKind, id: string | number): boolean =>
  kind === "faces" ? Number.isSafeInteger(Number(id)) && /^\d{1,15}$/.test(String(id)) : UUID.test(String(id));

/**
 * The writer thread: creating a file costs 0.1-0.3 ms of kernel time (ext4), and an ingest batch
 * writes two crops per event, which made file creation a third of the server's main thread through
 * Mosquitto (profiled). One worker writes a batch's crops with plain synchronous calls and answers
 * once; the main thread only copies the bytes over. Write then rename, so a reader never sees a
 * half-written file (a track's better shot replaces one).
 */
const WRITER = `
const { parentPort } = require("node:worker_threads");
const { mkdirSync, renameSync, writeFileSync } = require("node:fs");
const made = new Set();
parentPort.on("message", ({ id, files }) => {
  try {
    for (const f of files) {
      if (!made.has(f.dir)) {
        mkdirSync(f.dir, { recursive: true, mode: 0o700 });
        made.add(f.dir);
      }
      writeFileSync(f.tmp, f.data, { mode: 0o600 });
      renameSync(f.tmp, f.path);
    }
    parentPort.postMessage({ id });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message ? e.message : e) });
  }
});
`;

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class CropStore {
  private writer: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** The newest batch sent: the writer handles batches in order, so when it settles all have. */
  private last: Promise<unknown> = Promise.resolve();
  constructor(readonly dir: string) {}

  /** The crop's file, or undefined for an id of the wrong format (checked before any file access). */
  path(kind: CropKind, id: string | number): string | undefined {
    if (!validId(kind, id)) return undefined;
    const s = String(id);
    const shard = createHash("sha1").update(s).digest("hex").slice(0, 2);
    return insideDir(this.dir, kind, shard, `${s}.jpg`);
  }

  async put(kind: CropKind, id: string | number, jpeg: Uint8Array): Promise<void> {
    await this.putMany([{ kind, id, jpeg }]);
  }

  /** Writes crops (an ingest batch's) on the writer thread; resolves when all are on disk, rejects if one failed. */
  putMany(crops: ReadonlyArray<{ kind: CropKind; id: string | number; jpeg: Uint8Array }>): Promise<void> {
    if (!crops.length) return Promise.resolve();
    const files: Array<{ dir: string; tmp: string; path: string; data: Uint8Array }> = [];
    for (const c of crops) {
      const p = this.path(c.kind, c.id);
      if (!p) return Promise.reject(new Error(`crop id '${String(c.id).slice(0, 64)}' is not a ${c.kind} id`));
      files.push({ dir: dirname(p), tmp: `${p}.${process.pid}.tmp`, path: p, data: c.jpeg });
    }
    const id = ++this.nextId;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage({ id, files });
    });
    this.last = done.catch(() => {});
    return done;
  }

  private thread(): Worker {
    if (this.writer) return this.writer;
    const w = new Worker(WRITER, { eval: true });
    w.unref(); // never what keeps the process alive; close() ends it
    w.on("message", (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(`crop not written: ${m.error}`));
      else p?.resolve();
    });
    const fail = (e: Error) => {
      if (this.writer !== w) return;
      this.writer = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`crop writer stopped (exit ${code})`)));
    this.writer = w;
    return w;
  }

  /** Ends the writer thread, after the writes in flight. */
  async close(): Promise<void> {
    await this.last;
    const w = this.writer;
    this.writer = undefined;
    await w?.terminate();
  }

  async get(kind: CropKind, id: string | number): Promise<Buffer | undefined> {
    const p = this.path(kind, id);
    if (!p) return undefined;
    try {
      return await readFile(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  async delete(kind: CropKind, ids: Array<string | number>): Promise<void> {
    const paths = ids.map((id) => this.path(kind, id)).filter((p): p is string => p !== undefined);
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }
}
