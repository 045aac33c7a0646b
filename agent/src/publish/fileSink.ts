/**
 * File sink for running without a broker: one FaceEvent per line in a JSONL file (the same JSON
 * that goes to MQTT), and the crops as JPEG files in `<name>_crops/<cameraId>/` beside it.
 */

import type { FileHandle } from "node:fs/promises";
import { mkdir, open, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { FaceEvent } from "@argus/shared";

export class FileSink {
  private chain: Promise<unknown> = Promise.resolve();
  written = 0;

  private constructor(
    readonly path: string,
    readonly cropsDir: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string): Promise<FileSink> {
    const p = resolve(path);
    await mkdir(dirname(p), { recursive: true });
    const cropsDir = join(dirname(p), `${basename(p, extname(p))}_crops`);
    await mkdir(cropsDir, { recursive: true });
    return new FileSink(p, cropsDir, await open(p, "a"));
  }

  /** Appends the event and writes its crops; resolves when written. Calls are kept in order. */
  write(event: FaceEvent, payload: Buffer): Promise<void> {
    const p = this.chain.then(async () => {
      const dir = join(this.cropsDir, event.cameraId);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${event.eventId}_face.jpg`), Buffer.from(event.faceJpeg, "base64"));
      if (event.contextJpeg) {
        await writeFile(join(dir, `${event.eventId}_context.jpg`), Buffer.from(event.contextJpeg, "base64"));
      }
      await this.fh.write(Buffer.concat([payload, Buffer.from("\n")]));
      this.written++;
    });
    this.chain = p.catch(() => {});
    return p;
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.fh.sync().catch(() => {});
    await this.fh.close();
  }
}
