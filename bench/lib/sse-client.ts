/**
 * An event-stream client that behaves like a browser's EventSource (WHATWG HTML, "server-sent
 * events"): it parses `id`, `event`, `data` and `retry` fields, remembers the last event id, and when
 * the connection ends or cannot be made it waits the retry time and reconnects with a Last-Event-ID
 * header. Unlike EventSource it sends a bearer token and keeps trying after an HTTP error (counted),
 * so a benchmark sees everything that happens across a server restart.
 */

export interface SseStats {
  connects: number;
  /** Connections that ended or failed (stream end, network error, HTTP error). */
  drops: number;
  httpErrors: number;
  connected: boolean;
  lastEventId: string;
  events: number;
  /** Times an event's id was not larger than the one before (e.g. the server's ids restarted). */
  idResets: Array<{ from: string; to: string; at: number }>;
}

export class SseClient {
  readonly stats: SseStats = {
    connects: 0,
    drops: 0,
    httpErrors: 0,
    connected: false,
    lastEventId: "",
    events: 0,
    idResets: [],
  };
  private retryMs = 3000;
  private stopped = false;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private prevId: number | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly onEvent: (type: string, data: string, id: string) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const headers: Record<string, string> = {
          accept: "text/event-stream",
          "cache-control": "no-cache",
          ...this.headers,
        };
        if (this.stats.lastEventId) headers["last-event-id"] = this.stats.lastEventId;
        const res = await fetch(this.url, { headers, signal: this.abort.signal });
        if (res.status !== 200 || !res.body) {
          this.stats.httpErrors++;
          await res.body?.cancel();
        } else {
          this.stats.connects++;
          this.stats.connected = true;
          await this.read(res.body);
        }
      } catch {
        /* network error or abort: reconnect below */
      }
      this.stats.connected = false;
      if (this.stopped) break;
      this.stats.drops++;
      await new Promise((r) => setTimeout(r, this.retryMs));
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    let data: string[] = [];
    let type = "";
    let idBuf = this.stats.lastEventId;
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      for (let nl = buf.search(/\r\n|\r|\n/); nl >= 0; nl = buf.search(/\r\n|\r|\n/)) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          // Dispatch: the last event id is updated even for a block without data.
          this.stats.lastEventId = idBuf;
          if (data.length) this.dispatch(type || "message", data.join("\n"), idBuf);
          data = [];
          type = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") type = value;
        else if (field === "id" && !value.includes("\0")) idBuf = value;
        else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
      }
    }
  }

  private dispatch(type: string, data: string, id: string): void {
    this.stats.events++;
    const n = Number(id);
    if (id && Number.isFinite(n)) {
      if (this.prevId !== undefined && n <= this.prevId)
        this.stats.idResets.push({ from: String(this.prevId), to: id, at: Date.now() });
      this.prevId = n;
    }
    this.onEvent(type, data, id);
  }
}
