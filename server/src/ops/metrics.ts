/**
 * The server's Prometheus metrics (prom-client, one registry per running server): times in seconds,
 * labelled histograms, the default process metrics (CPU, memory, heap, event-loop lag). Label values
 * come from bounded sets only (route templates, reason codes), never from raw request input.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: 0.1 ms to 10 s. */
const SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10];

export function serverMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Off where several servers share one process (tests), as the collectors are per process.
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const r = { registers: [registry] };
  return {
    registry,
    /** A gauge read when scraped. */
    gauge(name: string, help: string, read: () => number): void {
      new Gauge({
        name,
        help,
        ...r,
        collect() {
          this.set(read());
        },
      });
    },
    eventsReceived: new Counter({ name: "argus_events_received_total", help: "Face events received from MQTT", ...r }),
    eventsStored: new Counter({
      name: "argus_events_stored_total",
      help: "Face events stored, by outcome (stored: a new sighting; updated: a later shot of a track)",
      labelNames: ["outcome"] as const,
      ...r,
    }),
    eventsDuplicate: new Counter({
      name: "argus_events_duplicate_total",
      help: "Face events dropped as duplicates (same event id)",
      ...r,
    }),
    deadLetters: new Counter({
      name: "argus_dead_letters_total",
      help: "Invalid messages refused as dead letters, by reason code (stored or not: see argus_dead_letters_dropped_total)",
      labelNames: ["reason"] as const,
      ...r,
    }),
    deadLettersDropped: new Counter({
      name: "argus_dead_letters_dropped_total",
      help: "Dead letters not kept or removed, by cause: rate_limit (over the per-agent rate, never stored), cap (oldest removed over deadLetters.maxCount/maxBytes), retention",
      labelNames: ["cause"] as const,
      ...r,
    }),
    mqttRefused: new Counter({
      name: "argus_mqtt_refused_total",
      help: "MQTT connections and packets refused by the embedded broker, by reason: packet_too_large, client_id (not the agent's or integration's own), login, topic (publish outside the agent's topics), read_only (an integration account's publish, dropped), subscribe (outside the client's topics: SUBACK 128)",
      labelNames: ["reason"] as const,
      ...r,
    }),
    clockSkewed: new Counter({
      name: "argus_events_clock_skewed_total",
      help: "Face events whose capturedAt was outside the accepted clock skew (the receive time was stored instead)",
      ...r,
    }),
    personsCreated: new Counter({ name: "argus_persons_created_total", help: "Automatic persons created", ...r }),
    alerts: new Counter({
      name: "argus_alerts_total",
      help: "Alerts raised, by type",
      labelNames: ["type"] as const,
      ...r,
    }),
    webhookDeliveries: new Counter({
      name: "argus_webhook_deliveries_total",
      help: "Webhook delivery attempts, by result",
      labelNames: ["result"] as const,
      ...r,
    }),
    storeErrors: new Counter({ name: "argus_store_errors_total", help: "Failed store writes (retried)", ...r }),
    batchSeconds: new Histogram({
      name: "argus_ingest_batch_seconds",
      help: "Time to identify and commit one batch of events",
      buckets: SECONDS,
      ...r,
    }),
    batchEvents: new Histogram({
      name: "argus_ingest_batch_events",
      help: "Messages (events and dead letters) ingested together in one batch: one store transaction",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      ...r,
    }),
    identifySeconds: new Histogram({
      name: "argus_identify_seconds",
      help: "Index search time per face",
      buckets: SECONDS,
      ...r,
    }),
    httpRequests: new Counter({
      name: "argus_http_requests_total",
      help: "HTTP requests, by method, route template and status",
      labelNames: ["method", "route", "status"] as const,
      ...r,
    }),
    httpRefused: new Counter({
      name: "argus_http_refused_total",
      help: "Requests answered with an error, by status and error code (hostile or broken input shows here)",
      labelNames: ["status", "code"] as const,
      ...r,
    }),
    httpSeconds: new Histogram({
      name: "argus_http_request_seconds",
      help: "HTTP request duration, by method and route template",
      labelNames: ["method", "route"] as const,
      buckets: SECONDS,
      ...r,
    }),
  };
}

export type ServerMetrics = ReturnType<typeof serverMetrics>;
