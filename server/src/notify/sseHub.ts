/**
 * Server-sent events for the console: sightings, alerts, person and camera changes as they are
 * committed. Every event is written to the store's journal first, which gives it its id: ids keep
 * increasing across restarts, and a client that reconnects with Last-Event-ID is replayed what it
 * missed out of the store, even what a previous run of the server published. A client further
 * behind than the journal keeps gets a `reset` event: reload everything.
 *
 * Bounded: open streams per principal and in all, the journal (newest N events, M hours), and each
 * client's unsent output (a console that stopped reading is dropped).
 */
import type { ServerResponse } from "node:http";
import type { Logger } from "@argus/shared";
import { busy, rateLimited } from "../domain/errors.ts";
import type { StreamJournalRepository } from "../store/types.ts";

interface StreamEvent {
  /** Undefined when the journal could not be written (the event still goes out live). */
  id: number | undefined;
  type: string;
  data: string;
}

interface SseClient {
  res: ServerResponse;
  types: Set<string> | null;
  key: string;
  /** Live events that arrive while the replay runs; sent after it. */
  pending?: StreamEvent[];
}

export interface SseLimits {
  maxPerPrincipal: number;
  maxTotal: number;
  journalMaxEvents: number;
  journalMaxHours: number;
}

/** A client that stopped reading is dropped past this much unsent output. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const REPLAY_PAGE = 500;
const PRUNE_EVERY = 100;

export class SseHub {
  private readonly clients = new Set<SseClient>();
  private readonly perKey = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  /** Published, not yet journaled: an ingest batch's events go to the journal in one transaction. */
  private queued: Array<{ type: string; data: string; at: number }> = [];
  private published = 0;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly journal: StreamJournalRepository,
    private readonly limits: SseLimits,
    private readonly log: Logger,
    heartbeatMs = 15_000,
  ) {
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(": keep-alive\n\n");
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Journals the event (for its id), then sends it to every client; events go out in id order. Events
   * published together (an ingest batch's) are journaled together.
   */
  publish(type: string, payload: unknown): void {
    this.queued.push({ type, data: JSON.stringify(payload), at: Date.now() });
    if (this.queued.length === 1) this.chain = this.chain.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    let ids: Array<number | undefined> = [];
    try {
      ids = await this.journal.append(batch);
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message, events: batch.length },
        "stream events not journaled; sent without ids",
      );
    }
    for (const [i, b] of batch.entries()) {
      const e = { id: ids[i], type: b.type, data: b.data };
      for (const c of this.clients) {
        if (c.pending) c.pending.push(e);
        else this.send(c, e);
      }
    }
    const before = this.published;
    this.published += batch.length;
    if (Math.floor(before / PRUNE_EVERY) !== Math.floor(this.published / PRUNE_EVERY)) void this.prune();
  }

  /** Resolves once every event published so far has been journaled and sent. */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Drops journal entries beyond the bounds (also run every PRUNE_EVERY events). */
  async prune(now = Date.now()): Promise<void> {
    const { journalMaxEvents, journalMaxHours } = this.limits;
    await this.journal
      .prune(journalMaxEvents, now - journalMaxHours * 3_600_000)
      .catch((e) => this.log.warn({ err: (e as Error).message }, "stream journal not pruned"));
  }

  /** Refuses a new stream beyond the bounds: 429 for this principal, 503 when the server has too many. */
  admit(key: string): void {
    if (this.clients.size >= this.limits.maxTotal)
      throw busy(`the server has ${this.limits.maxTotal} open event streams, its limit; retry shortly`, 10);
    if ((this.perKey.get(key) ?? 0) >= this.limits.maxPerPrincipal)
      throw rateLimited(
        "TOO_MANY_STREAMS",
        `${this.limits.maxPerPrincipal} event streams are open with these credentials, the limit; close one first`,
        10,
      );
  }

  /**
   * Takes over a response (admit() first): headers, what the client missed since lastEventId, then
   * live events until it closes.
   */
  async attach(res: ServerResponse, opts: { key: string; types?: string[]; lastEventId?: number }): Promise<void> {
    this.admit(opts.key);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 3000\n\n");
    const c: SseClient = {
      res,
      types: opts.types?.length ? new Set(opts.types) : null,
      key: opts.key,
      pending: opts.lastEventId === undefined ? undefined : [],
    };
    this.clients.add(c);
    this.perKey.set(c.key, (this.perKey.get(c.key) ?? 0) + 1);
    res.on("close", () => this.remove(c));
    if (opts.lastEventId !== undefined) await this.replay(c, opts.lastEventId);
  }

  private remove(c: SseClient): void {
    if (!this.clients.delete(c)) return;
    const n = (this.perKey.get(c.key) ?? 1) - 1;
    if (n > 0) this.perKey.set(c.key, n);
    else this.perKey.delete(c.key);
  }

  /** Sends the journal's events after `last`, or `reset` when some of them are no longer kept. */
  private async replay(c: SseClient, last: number): Promise<void> {
    let sent = last;
    try {
      const { oldest, last: newest } = await this.journal.bounds();
      // An id never handed out (another data directory), or events pruned since: the client must reload.
      const gap = last > newest || (oldest === null ? last < newest : last + 1 < oldest);
      if (gap) {
        c.res.write(`id: ${newest}\nevent: reset\ndata: ${JSON.stringify({ lastEventId: newest })}\n\n`);
        sent = newest;
      } else {
        for (let more = true; more && this.clients.has(c); ) {
          const page = await this.journal.after(sent, REPLAY_PAGE);
          for (const e of page) this.send(c, e);
          if (page.length) sent = page[page.length - 1].id;
          more = page.length === REPLAY_PAGE;
          if (c.res.writableLength > MAX_BUFFERED / 8)
            await new Promise((r) => c.res.once("drain", r).once("close", r));
        }
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "stream replay failed; the client is told to reload");
      c.res.write(`event: reset\ndata: ${JSON.stringify({ lastEventId: null })}\n\n`);
    }
    const pending = c.pending ?? [];
    c.pending = undefined;
    for (const e of pending) if (e.id === undefined || e.id > sent) this.send(c, e);
  }

  private send(c: SseClient, e: StreamEvent): void {
    if (c.types && !c.types.has(e.type)) return;
    if (c.res.writableLength > MAX_BUFFERED) {
      c.res.end();
      this.remove(c);
      return;
    }
    c.res.write(`${e.id === undefined ? "" : `id: ${e.id}\n`}event: ${e.type}\ndata: ${e.data}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    this.perKey.clear();
  }
}
