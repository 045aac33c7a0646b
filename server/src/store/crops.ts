/**
 * JPEG crops on disk, shared by both stores: <dir>/<kind>/<2 hex chars>/<id>.jpg. Files are written
 * before the database commit that references them (a crash leaves at most an orphan file, which the
 * same id overwrites on redelivery), and deleted after the rows are gone. Files are the owner's only
 * (0600 in 0700 directories): crops are faces.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { insideDir } from "../util/paths.ts";

export type CropKind = "sightings" | "context" | "faces";

/** Sighting ids are UUID-shaped (derivedId); face ids are integers. Anything else names no crop. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const validId = (kind: CropKind, id: string | number): boolean =>
  kind === "faces" ? Number.isSafeInteger(Number(id)) && /^\d{1,15}$/.test(String(id)) : UUID.test(String(id));

export class CropStore {
  private readonly made = new Set<string>();
  constructor(readonly dir: string) {}

  /** The crop's file, or undefined for an id of the wrong format (checked before any file access). */
  path(kind: CropKind, id: string | number): string | undefined {
    if (!validId(kind, id)) return undefined;
    const s = String(id);
    const shard = createHash("sha1").update(s).digest("hex").slice(0, 2);
    return insideDir(this.dir, kind, shard, `${s}.jpg`);
  }

  /**
   * Synchronous on purpose: a 5 kB write to the page cache costs microseconds, far less than a
   * promise-based FileHandle round trip through the thread pool (profiled on the ingest hot path).
   */
  async put(kind: CropKind, id: string | number, jpeg: Uint8Array): Promise<void> {
    const p = this.path(kind, id);
    if (!p) throw new Error(`crop id '${String(id).slice(0, 64)}' is not a ${kind} id`);
    const d = dirname(p);
    if (!this.made.has(d)) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      this.made.add(d);
    }
    // Write then rename so a reader never sees a half-written file (a track's better shot replaces one).
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, jpeg, { mode: 0o600 });
    renameSync(tmp, p);
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
