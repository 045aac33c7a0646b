/**
 * JPEG crops on disk, shared by both stores: <dir>/<kind>/<2 hex chars>/<id>.jpg. Files are written
 * before the database commit that references them (a crash leaves at most an orphan file, which the
 * same id overwrites on redelivery), and deleted after the rows are gone.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

export type CropKind = "sightings" | "context" | "faces";

export class CropStore {
  private readonly made = new Set<string>();
  constructor(readonly dir: string) {}

  path(kind: CropKind, id: string | number): string {
    const s = String(id);
    const shard = createHash("sha1").update(s).digest("hex").slice(0, 2);
    return join(this.dir, kind, shard, `${s}.jpg`);
  }

  /**
   * Synchronous on purpose: a 5 kB write to the page cache costs microseconds, far less than a
   * promise-based FileHandle round trip through the thread pool (profiled on the ingest hot path).
   */
  async put(kind: CropKind, id: string | number, jpeg: Uint8Array): Promise<void> {
    const p = this.path(kind, id);
    const d = dirname(p);
    if (!this.made.has(d)) {
      mkdirSync(d, { recursive: true });
      this.made.add(d);
    }
    // Write then rename so a reader never sees a half-written file (a track's better shot replaces one).
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, jpeg);
    renameSync(tmp, p);
  }

  async get(kind: CropKind, id: string | number): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(kind, id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  async delete(kind: CropKind, ids: Array<string | number>): Promise<void> {
    await Promise.all(ids.map((id) => rm(this.path(kind, id), { force: true })));
  }
}
