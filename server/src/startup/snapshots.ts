/**
 * Periodic snapshots of an in-memory index (the face gallery, the history index): written when enough
 * changed (a crash then costs at most that many changes of catch-up at the next start) or, if anything
 * changed, when the interval has passed. One write at a time, off the ingest lock.
 */
import type { Logger } from "@argus/shared";

export interface Snapshottable {
  readonly ready: boolean;
  readonly dirty: boolean;
  readonly changesSinceSnapshot: number;
  snapshot(): Promise<object>;
}

export class SnapshotSchedule {
  private timer: NodeJS.Timeout | undefined;
  private lastAt = Date.now();
  private writing: Promise<unknown> | undefined;

  constructor(
    private readonly index: Snapshottable,
    private readonly o: { name: string; everyChanges: number; intervalMs: number; log: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const { index: x, o } = this;
      const due =
        x.ready && x.dirty && (x.changesSinceSnapshot >= o.everyChanges || Date.now() - this.lastAt >= o.intervalMs);
      if (due && !this.writing) void this.write();
    }, 1000);
    this.timer.unref();
  }

  /** Stops the schedule; the caller may then write the last snapshot with `final()`. */
  stop(): void {
    clearInterval(this.timer);
  }

  /** After a write in progress, the last snapshot if anything changed since. */
  async final(): Promise<void> {
    await this.writing;
    if (this.index.ready && this.index.dirty) await this.write();
  }

  private write(): Promise<unknown> {
    this.lastAt = Date.now();
    this.writing = this.index
      .snapshot()
      .then((st) => this.o.log.info(st, `${this.o.name} snapshot written`))
      .catch((e) => this.o.log.error({ err: (e as Error).message }, `${this.o.name} snapshot failed`))
      .finally(() => (this.writing = undefined));
    return this.writing;
  }
}
