/**
 * Store-and-forward spool: every event is written to disk (temp file, fsync, rename) before it is
 * published, and deleted only when the broker acknowledges it. Files are numbered, so after a
 * restart they are sent again in the order they were made (which keeps each camera's order).
 *
 * Bounded: past maxEvents or maxBytes, or when the disk's free space falls below minFreeBytes, the
 * oldest events not in flight are dropped, each counted and logged.
 */
import { EventEmitter } from "node:events";
import { closeSync, fsyncSync, openSync, renameSync, statfsSync, unlinkSync, writevSync } from "node:fs";
import { mkdir, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@argus/shared";

export interface SpoolOptions {
  maxBytes: number;
  maxEvents: number;
  minFreeBytes: number;
}

export interface SpoolEntry {
  seq: number;
  file: string;
  bytes: number;
  topic: string;
  cameraId: string;
  eventId: string;
  /** Handed to the publisher and not yet acknowledged. */
  inflight: boolean;
  /** Payload kept in memory for the first send (saves a read in the normal path). */
  payload?: Buffer;
}

interface Header {
  topic: string;
  cameraId: string;
  eventId: string;
}

const EXT = ".evt";
const NAME_DIGITS = 16;
/** Payloads kept in memory for the first send, at most this many bytes in all. */
const CACHE_BYTES = 32 * 1024 * 1024;

export interface SpoolEvents {
  /** An event was added. */
  put: [SpoolEntry];
  /** An event was dropped to respect a cap (reason says which). */
  dropped: [SpoolEntry, string];
  /** The spool became empty. */
  empty: [];
}

export class Spool extends EventEmitter<SpoolEvents> {
  private entries: SpoolEntry[] = [];
  private nextSeq = 1;
  private totalBytes = 0;
  private cachedBytes = 0;
  /** Writes are serialized so files are numbered in the order events were handed in. */
  private chain: Promise<unknown> = Promise.resolve();
  droppedTotal = 0;

  private constructor(
    readonly dir: string,
    private readonly o: SpoolOptions,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Opens (creating) the spool directory and indexes the events left from an earlier run. */
  static async open(dir: string, o: SpoolOptions, log: Logger): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const s = new Spool(dir, o, log);
    const names = (await readdir(dir)).sort();
    for (const n of names) {
      const p = join(dir, n);
      // Numbers are never reused, not even those of broken or unfinished files.
      const num = Number.parseInt(n.slice(0, NAME_DIGITS), 10);
      if (Number.isFinite(num)) s.nextSeq = Math.max(s.nextSeq, num + 1);
      if (n.endsWith(".tmp")) {
        // Never renamed: the write did not complete, and the event was never acknowledged to anyone.
        await unlink(p).catch(() => {});
        continue;
      }
      if (!n.endsWith(EXT)) continue;
      const seq = Number.parseInt(n.slice(0, NAME_DIGITS), 10);
      try {
        const buf = await readFile(p);
        const nl = buf.indexOf(10);
        const h = JSON.parse(buf.subarray(0, nl).toString("utf8")) as Header;
        s.entries.push({ seq, file: p, bytes: buf.length, ...h, inflight: false });
        s.totalBytes += buf.length;
        s.nextSeq = Math.max(s.nextSeq, seq + 1);
      } catch (e) {
        log.error({ file: p, err: (e as Error).message }, "spool: unreadable spool file moved aside");
        await rename(p, `${p}.bad`).catch(() => {});
      }
    }
    if (s.entries.length)
      log.info({ events: s.entries.length, bytes: s.totalBytes }, "spool: events from an earlier run");
    return s;
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Stores an event durably; resolves once it is on disk. */
  put(topic: string, payload: Buffer, meta: { cameraId: string; eventId: string }): Promise<SpoolEntry | undefined> {
    const p = this.chain.then(() => this.write(topic, payload, meta));
    this.chain = p.catch(() => {});
    return p;
  }

  private async write(
    topic: string,
    payload: Buffer,
    meta: { cameraId: string; eventId: string },
  ): Promise<SpoolEntry | undefined> {
    const header = Buffer.from(`${JSON.stringify({ topic, ...meta } satisfies Header)}\n`, "utf8");
    const bytes = header.length + payload.length;
    await this.makeRoom(bytes);
    const seq = this.nextSeq++;
    const file = join(this.dir, `${String(seq).padStart(NAME_DIGITS, "0")}${EXT}`);
    const tmp = `${file}.tmp`;
    try {
      // Synchronous on purpose: a few milliseconds in one go, instead of eight thread-pool round trips
      // that each wait for a busy event loop (which is what delays realtime events).
      const fd = openSync(tmp, "w");
      try {
        writevSync(fd, [header, payload]);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      syncDir(this.dir);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
      const err = e as NodeJS.ErrnoException;
      this.droppedTotal++;
      this.log.error(
        { eventId: meta.eventId, camera: meta.cameraId, err: err.message },
        "spool: could not store event; it is dropped",
      );
      return undefined;
    }
    const entry: SpoolEntry = { seq, file, bytes, topic, ...meta, inflight: false };
    if (this.cachedBytes + payload.length <= CACHE_BYTES) {
      entry.payload = payload;
      this.cachedBytes += payload.length;
    }
    this.entries.push(entry);
    this.totalBytes += bytes;
    this.enforceCaps();
    this.emit("put", entry);
    return entry;
  }

  /** Drops the oldest events while a cap would be exceeded by `incoming` more bytes. */
  private async makeRoom(incoming: number): Promise<void> {
    let free = Number.POSITIVE_INFINITY;
    try {
      const fs = statfsSync(this.dir);
      free = fs.bavail * fs.bsize;
    } catch {
      /* statfs unsupported: rely on the byte cap */
    }
    while (free - incoming < this.o.minFreeBytes) {
      const victim = this.oldestIdle();
      if (!victim) break;
      free += victim.bytes;
      this.drop(
        victim,
        `disk nearly full (${Math.round(free / 1048576)} MiB free, minimum ${Math.round(this.o.minFreeBytes / 1048576)} MiB)`,
      );
    }
  }

  private enforceCaps(): void {
    while (this.entries.length > this.o.maxEvents || this.totalBytes > this.o.maxBytes) {
      const victim = this.oldestIdle();
      if (!victim) break;
      const reason =
        this.entries.length > this.o.maxEvents
          ? `spool holds more than ${this.o.maxEvents} events`
          : `spool holds more than ${this.o.maxBytes} bytes`;
      this.drop(victim, reason);
    }
  }

  private oldestIdle(): SpoolEntry | undefined {
    return this.entries.find((e) => !e.inflight);
  }

  private drop(e: SpoolEntry, reason: string): void {
    this.remove(e);
    this.droppedTotal++;
    this.log.warn({ eventId: e.eventId, camera: e.cameraId, reason }, "spool: dropped the oldest event");
    this.emit("dropped", e, reason);
    try {
      unlinkSync(e.file);
    } catch {
      /* already gone */
    }
  }

  private remove(e: SpoolEntry): void {
    const i = this.entries.indexOf(e);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.totalBytes -= e.bytes;
    this.releasePayload(e);
    if (this.entries.length === 0) this.emit("empty");
  }

  private releasePayload(e: SpoolEntry): void {
    if (e.payload) {
      this.cachedBytes -= e.payload.length;
      e.payload = undefined;
    }
  }

  /** The oldest events not in flight, in order, at most `n`. */
  nextIdle(n: number): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const e of this.entries) {
      if (out.length >= n) break;
      if (!e.inflight) out.push(e);
    }
    return out;
  }

  get inflight(): number {
    let n = 0;
    for (const e of this.entries) if (e.inflight) n++;
    return n;
  }

  /** The payload of an entry (from memory on the first send, else from its file). */
  async payload(e: SpoolEntry): Promise<Buffer> {
    if (e.payload) {
      const p = e.payload;
      this.releasePayload(e);
      return p;
    }
    const buf = await readFile(e.file);
    return buf.subarray(buf.indexOf(10) + 1);
  }

  /** The broker has the event: forget it. */
  async ack(e: SpoolEntry): Promise<void> {
    this.remove(e);
    await unlink(e.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT")
        this.log.error({ file: e.file, err: err.message }, "spool: could not delete a sent event");
    });
  }

  /** Resolves when every event has been acknowledged (or dropped). */
  whenEmpty(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.once("empty", () => resolve()));
  }

  /** Waits for writes in progress and syncs the directory (renames become durable). */
  async close(): Promise<void> {
    await this.chain;
  }
}

/** Makes a rename durable (the directory entry), where the file system supports it. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported everywhere */
  }
}
