/**
 * At most `concurrent` tasks at once and `queue` more waiting (FIFO); beyond, a task is refused at
 * once (GateFull) rather than queued without bound. For work whose memory and CPU grow with the
 * input (decoding an uploaded photo and running the face pipeline on it).
 */
export class GateFull extends Error {
  constructor(
    /** Seconds after which a retry is likely to find room (from recent task times). */
    readonly retryAfterSeconds: number,
  ) {
    super("the gate is full");
  }
}

export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Moving average of a task's duration, for Retry-After. */
  private avgMs = 1000;

  constructor(
    readonly concurrent: number,
    readonly queue: number,
  ) {}

  get active(): number {
    return this.running;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Throws GateFull when a task arriving now would be refused (a cheap check before reading an upload). */
  admit(): void {
    if (this.running >= this.concurrent && this.waiting.length >= this.queue) throw new GateFull(this.retryAfter());
  }

  async run<T>(f: () => Promise<T>): Promise<T> {
    this.admit();
    if (this.running < this.concurrent) this.running++;
    else await new Promise<void>((r) => this.waiting.push(r)); // the slot is handed over by a finishing task
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - t0);
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** The time the queue ahead needs to drain, in whole seconds (at least 1). */
  private retryAfter(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + this.running) * this.avgMs) / this.concurrent / 1000));
  }
}
