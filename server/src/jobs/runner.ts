/**
 * Background jobs (clustering; more kinds can register): one at a time, their status in store.jobs for
 * the API: queued -> running (progress 0-1, a message) -> done (result) or failed (error). Starting a
 * kind that is already queued or running returns that job instead of a second one. Jobs a stopped
 * server left queued or running are marked failed at the next start.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@argus/shared";
import type { Job } from "../domain/types.ts";
import type { Store } from "../store/types.ts";

export interface JobContext {
  job: Job;
  /** Reports progress (written at most every 500 ms). */
  progress(fraction: number, message?: string): Promise<void>;
}

export type JobFn = (ctx: JobContext) => Promise<unknown>;

const PROGRESS_EVERY_MS = 500;

export class JobRunner {
  private readonly kinds = new Map<string, JobFn>();
  private readonly active = new Map<string, Job>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log?: Logger,
  ) {}

  register(kind: string, fn: JobFn): void {
    this.kinds.set(kind, fn);
  }

  /** Marks jobs of an earlier run that never finished as failed. */
  async recover(): Promise<number> {
    let n = 0;
    for (const j of await this.store.jobs.list(1000))
      if (j.status === "queued" || j.status === "running") {
        await this.store.jobs.update(j.id, {
          status: "failed",
          error: "the server stopped before it finished",
          finishedAt: Date.now(),
        });
        n++;
      }
    return n;
  }

  /** Queues a job of this kind, or returns the one of this kind already queued or running. */
  async start(kind: string, createdBy: string | null): Promise<Job> {
    const fn = this.kinds.get(kind);
    if (!fn) throw new Error(`no job kind '${kind}'`);
    const cur = this.active.get(kind);
    if (cur) return (await this.store.jobs.get(cur.id)) ?? cur;
    const job: Job = {
      id: randomUUID(),
      kind,
      status: "queued",
      progress: 0,
      message: null,
      result: null,
      error: null,
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      createdBy,
    };
    await this.store.jobs.insert(job);
    this.active.set(kind, job);
    this.chain = this.chain.then(() => this.run(job, fn));
    return job;
  }

  /** Resolves when every job queued so far has finished (tests, stop). */
  idle(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(job: Job, fn: JobFn): Promise<void> {
    const { store } = this;
    try {
      if (this.stopped) throw new Error("the server is stopping");
      await store.jobs.update(job.id, { status: "running", startedAt: Date.now() });
      let last = 0;
      const result = await fn({
        job,
        progress: async (fraction, message) => {
          const now = performance.now();
          if (now - last < PROGRESS_EVERY_MS && fraction < 1) return;
          last = now;
          if (this.stopped) throw new Error("the server is stopping");
          await store.jobs.update(job.id, { progress: Math.max(0, Math.min(1, fraction)), message: message ?? null });
        },
      });
      await store.jobs.update(job.id, { status: "done", progress: 1, result: result ?? null, finishedAt: Date.now() });
      this.log?.info({ job: job.id, kind: job.kind, result }, "job done");
    } catch (e) {
      const error = (e as Error).message;
      this.log?.error({ job: job.id, kind: job.kind, err: error }, "job failed");
      await store.jobs.update(job.id, { status: "failed", error, finishedAt: Date.now() }).catch(() => {});
    } finally {
      this.active.delete(job.kind);
    }
  }
}
