/** A small Prometheus registry: counters, gauges and histograms rendered in the text format. */

type Labels = Record<string, string>;
const key = (l: Labels) =>
  Object.entries(l)
    .sort()
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: string,
  ) {}
  abstract lines(): string[];
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  lines(): string[] {
    if (!this.values.size) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ""} ${v}`);
  }
}

export class Gauge extends Metric {
  constructor(
    name: string,
    help: string,
    private readonly read: () => number | Array<[Labels, number]>,
  ) {
    super(name, help, "gauge");
  }
  lines(): string[] {
    const v = this.read();
    if (typeof v === "number") return [`${this.name} ${v}`];
    return v.map(([l, x]) => `${this.name}{${key(l)}} ${x}`);
  }
}

export class Histogram extends Metric {
  private readonly counts: number[];
  private sum = 0;
  private n = 0;
  constructor(
    name: string,
    help: string,
    readonly buckets: number[],
  ) {
    super(name, help, "histogram");
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
    this.sum += v;
    this.n++;
  }
  lines(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.n}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.n}`,
    ];
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.flatMap((m) => [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()]).join("\n")}\n`;
  }
}

const MS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** The server's metrics (one set per running server). */
export function serverMetrics() {
  const r = new Registry();
  return {
    registry: r,
    eventsReceived: r.add(new Counter("argus_events_received_total", "Face events received from MQTT")),
    eventsStored: r.add(
      new Counter("argus_events_stored_total", "Face events stored (by outcome: new_sighting, track_update)"),
    ),
    eventsDuplicate: r.add(
      new Counter("argus_events_duplicate_total", "Face events dropped as duplicates (same event id)"),
    ),
    deadLetters: r.add(
      new Counter("argus_dead_letters_total", "Invalid messages kept in the dead-letter store, by reason"),
    ),
    personsCreated: r.add(new Counter("argus_persons_created_total", "Automatic persons created")),
    alerts: r.add(new Counter("argus_alerts_total", "Alerts raised, by type")),
    webhookDeliveries: r.add(new Counter("argus_webhook_deliveries_total", "Webhook delivery attempts, by result")),
    storeErrors: r.add(new Counter("argus_store_errors_total", "Failed store commits (retried)")),
    batchMs: r.add(new Histogram("argus_ingest_batch_ms", "Time to identify and commit one batch of events (ms)", MS)),
    identifyMs: r.add(new Histogram("argus_identify_ms", "Index search time per face (ms)", MS)),
    httpRequests: r.add(new Counter("argus_http_requests_total", "HTTP requests, by method, route and status")),
    httpMs: r.add(new Histogram("argus_http_request_ms", "HTTP request duration (ms)", MS)),
  };
}

export type ServerMetrics = ReturnType<typeof serverMetrics>;
