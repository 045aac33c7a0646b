/**
 * Server-sent events for the console: sightings, alerts, person and camera changes as they are
 * committed. Each event has an increasing id; a client that reconnects with Last-Event-ID gets what it
 * missed from a short replay buffer.
 */
import type { ServerResponse } from "node:http";

interface SseClient {
  res: ServerResponse;
  types: Set<string> | null;
}

export class SseHub {
  private readonly clients = new Set<SseClient>();
  private readonly recent: Array<{ id: number; type: string; data: string }> = [];
  private seq = 0;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly replay = 500,
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

  publish(type: string, payload: unknown): void {
    const e = { id: ++this.seq, type, data: JSON.stringify(payload) };
    this.recent.push(e);
    if (this.recent.length > this.replay) this.recent.shift();
    for (const c of this.clients) this.send(c, e);
  }

  private send(c: SseClient, e: { id: number; type: string; data: string }): void {
    if (c.types && !c.types.has(e.type)) return;
    // A console that stopped reading must not grow our memory without bound.
    if (c.res.writableLength > 8 * 1024 * 1024) {
      c.res.end();
      this.clients.delete(c);
      return;
    }
    c.res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`);
  }

  /** Takes over a response: headers, replay since lastEventId, then live events until it closes. */
  attach(res: ServerResponse, opts: { types?: string[]; lastEventId?: number }): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 3000\n\n");
    const c: SseClient = { res, types: opts.types?.length ? new Set(opts.types) : null };
    if (opts.lastEventId !== undefined) for (const e of this.recent) if (e.id > opts.lastEventId) this.send(c, e);
    this.clients.add(c);
    res.on("close", () => this.clients.delete(c));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
