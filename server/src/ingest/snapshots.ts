/**
 * The latest snapshot of each camera's view (a small JPEG the agent publishes retained on
 * `.../cameras/<camera>/snapshot` every `snapshot.everySeconds`), kept on disk so that it survives a
 * restart: `<dataDir>/snapshots/<agent>/<camera>.jpg`, 0600 in 0700 directories like the crops.
 *
 * Bounded: one file per camera (each new snapshot replaces the last, written then renamed so a reader
 * never sees half a file), each at most SNAPSHOT_LIMITS.maxBytes, at most `maxCameras` files, and a
 * camera's snapshots are taken at most once per `minIntervalMs` (an agent sending them in a loop
 * costs neither disk writes nor stream events).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { insideDir } from "../util/paths.ts";

/** Agent and camera ids as the topics carry them (DeviceIdSchema): safe as file names. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface Snapshot {
  jpeg: Buffer;
  /** When it was stored (the file's modification time), ms. */
  at: number;
  /** A strong validator of the bytes, quoted (an HTTP ETag). */
  etag: string;
}

export type PutOutcome = "stored" | "throttled" | "full" | "bad_id";

export class SnapshotStore {
  private keys: Set<string> | undefined;
  private readonly lastPut = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly o: { maxCameras?: number; minIntervalMs?: number } = {},
  ) {}

  private get maxCameras(): number {
    return this.o.maxCameras ?? 4096;
  }

  /** The file of a camera's snapshot, or undefined for ids that cannot name one. */
  path(agentId: string, cameraId: string): string | undefined {
    if (!DEVICE_ID.test(agentId) || !DEVICE_ID.test(cameraId)) return undefined;
    return insideDir(this.dir, agentId, `${cameraId}.jpg`);
  }

  /** The cameras with a snapshot on disk (read once, then kept up to date). */
  private known(): Set<string> {
    if (this.keys) return this.keys;
    const keys = new Set<string>();
    try {
      for (const a of readdirSync(this.dir, { withFileTypes: true })) {
        if (!a.isDirectory()) continue;
        for (const f of readdirSync(insideDir(this.dir, a.name) ?? this.dir))
          if (f.endsWith(".jpg")) keys.add(`${a.name}/${f.slice(0, -4)}`);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    this.keys = keys;
    return keys;
  }

  /** Keeps `jpeg` (already checked) as the camera's snapshot. */
  put(agentId: string, cameraId: string, jpeg: Uint8Array, now = Date.now()): PutOutcome {
    const p = this.path(agentId, cameraId);
    if (!p) return "bad_id";
    const key = `${agentId}/${cameraId}`;
    const last = this.lastPut.get(key);
    if (last !== undefined && now - last < (this.o.minIntervalMs ?? 1000)) return "throttled";
    const keys = this.known();
    if (!keys.has(key) && keys.size >= this.maxCameras) return "full";
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    const tmp = `${p}.${process.pid}.tmp`;
    // Synchronous: a 20 kB write to the page cache, once per camera every few seconds at most.
    writeFileSync(tmp, jpeg, { mode: 0o600 });
    renameSync(tmp, p);
    keys.add(key);
    if (this.lastPut.size >= this.maxCameras * 2) this.lastPut.clear();
    this.lastPut.set(key, now);
    return "stored";
  }

  async get(agentId: string, cameraId: string): Promise<Snapshot | undefined> {
    const p = this.path(agentId, cameraId);
    if (!p) return undefined;
    try {
      const [jpeg, st] = await Promise.all([readFile(p), stat(p)]);
      const etag = `"${createHash("sha256").update(jpeg).digest("base64url").slice(0, 27)}"`;
      return { jpeg, at: st.mtimeMs, etag };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** Forgets the camera's snapshot (the agent cleared its retained message). */
  async delete(agentId: string, cameraId: string): Promise<void> {
    const p = this.path(agentId, cameraId);
    if (!p) return;
    await rm(p, { force: true });
    this.known().delete(`${agentId}/${cameraId}`);
    this.lastPut.delete(`${agentId}/${cameraId}`);
  }
}
