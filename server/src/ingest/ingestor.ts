/**
 * The ingestion loop, shared by both transports (embedded broker hook, MQTT consumer):
 * validate -> drop duplicates -> plan (identify, learn, alert: plan.ts) -> commit -> acknowledge.
 *
 * submit() resolves only once the event is committed (or kept as a dead letter, or known as a
 * duplicate); the transport acknowledges the MQTT message then, so a crash means redelivery, not loss.
 * Events that arrive together are planned one after another and committed in one store transaction.
 */
import { featureModelId, type Logger, retryForever } from "@argus/shared";
import type { MuteSet } from "../alerts/mutes.ts";
import type { Regulars } from "../alerts/regulars.ts";
import type { Cooldown } from "../alerts/rules.ts";
import type { Config } from "../config/config.ts";
import type { Bus } from "../domain/bus.ts";
import type { DeadLetter, Webhook } from "../domain/types.ts";
import type { CandidatePool } from "../identify/creation.ts";
import type { Exclusions } from "../identify/exclusions.ts";
import type { Gallery } from "../identify/gallery.ts";
import type { IdAllocator } from "../identify/ids.ts";
import type { PersonCache } from "../identify/personCache.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { CropStore } from "../store/crops.ts";
import { emptyBatch, type Store } from "../store/types.ts";
import type { Mutex } from "../util/mutex.ts";
import { BatchPlan, type PlannerDeps } from "./batch.ts";
import { type DeadLetterKeeper, LogThrottle } from "./deadLetters.ts";
import { planEvent } from "./plan.ts";
import { type EventChecks, type ValidEvent, validateEvent } from "./validate.ts";

export type IngestOutcome = "stored" | "updated" | "duplicate" | "dead-letter";

/** A store that is restarting is retried every 0.2 s at first, every 10 s at most. */
const STORE_RETRY = { initialDelayMs: 200, maxDelayMs: 10_000, factor: 2, jitter: 0 };

interface Pending {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  resolve: (o: IngestOutcome) => void;
  reject: (e: Error) => void;
}

export interface IngestorDeps {
  store: Store;
  gallery: Gallery;
  crops: CropStore;
  config: Config;
  bus: Bus;
  metrics: ServerMetrics;
  log: Logger;
  lock: Mutex;
  regulars: Regulars;
  cooldown: Cooldown;
  ids: IdAllocator;
  /** Camera sensitivity and webhooks, kept current by the API. */
  cameraSensitive: (agentId: string, cameraId: string) => boolean;
  webhooks: () => Webhook[];
  /** Operators' mutes, kept current by the API. */
  mutes?: MuteSet;
  persons: PersonCache;
  deadLetters: DeadLetterKeeper;
  /** Unmatched faces waiting to recur (identify/creation.ts), loaded at start. */
  candidates: CandidatePool;
  /** Operators' "not X" decisions per track. */
  exclusions: Exclusions;
}

const DAY_MS = 86_400_000;

export class Ingestor {
  private readonly queue: Pending[] = [];
  private pumping = false;
  private stopped = false;
  private readonly planner: PlannerDeps;
  private readonly checks: EventChecks;
  private readonly skewLog = new LogThrottle();

  constructor(private readonly d: IngestorDeps) {
    const model = featureModelId();
    const { mqtt, ingest } = d.config;
    this.checks = {
      prefix: mqtt.topicPrefix,
      modelId: model.id,
      modelSha256: model.sha256,
      maxPayloadBytes: mqtt.maxPacketBytes,
      maxAheadMs: ingest.maxClockAheadSeconds * 1000,
      maxAgeMs: ingest.maxEventAgeDays * DAY_MS,
    };
    this.planner = {
      gallery: d.gallery,
      config: d.config,
      regulars: d.regulars,
      ids: d.ids,
      cooldown: d.cooldown,
      cameraSensitive: d.cameraSensitive,
      webhooks: d.webhooks,
      mutes: d.mutes,
      candidates: d.candidates,
      excludedFor: (key) => this.retry(() => d.exclusions.excludedFor(key)),
      findTrack: (a, c, t, since) => this.retry(() => d.store.sightings.findTrack(a, c, t, since)),
      sighting: (id) => this.retry(() => d.store.sightings.get(id)),
      sightingCrop: (id) => d.crops.get("sightings", id).catch(() => undefined),
      isRegular: (p, a, c, at) => this.retry(() => d.regulars.isRegular(p, a, c, at)),
      onSearch: (s) => d.metrics.identifySeconds.observe(s),
    };
  }

  get backlog(): number {
    return this.queue.length;
  }

  /** Resolves once the event is durable (stored, dead-lettered or a known duplicate). */
  submit(topic: string, payload: Buffer): Promise<IngestOutcome> {
    if (this.stopped) return Promise.reject(new Error("ingestion is stopping"));
    this.d.metrics.eventsReceived.inc();
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, payload, receivedAt: Date.now(), resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** Stops taking events; pending ones are rejected (their senders will redeliver). */
  stop(): void {
    this.stopped = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("server stopping"));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      // Let the transport hand over everything that arrived in the same read.
      await new Promise((r) => setImmediate(r));
      while (this.queue.length && !this.stopped) {
        const batch = this.queue.splice(0, this.d.config.ingest.maxBatch);
        try {
          const outcomes = await this.d.lock.run(() => this.processBatch(batch));
          batch.forEach((p, i) => {
            p.resolve(outcomes[i]);
          });
        } catch (e) {
          // Stopping mid-retry: the messages stay unacknowledged and will be redelivered.
          if (this.stopped) for (const p of batch) p.reject(e as Error);
          // Anything else is a bug triggered by some message: isolate it so one poison message
          // cannot block the others (or loop forever through redeliveries).
          else await this.isolate(batch, e as Error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async isolate(batch: Pending[], first: Error): Promise<void> {
    this.d.log.error(
      { err: first.message, stack: first.stack, events: batch.length },
      "ingest batch failed; retrying events one by one",
    );
    for (const p of batch) {
      try {
        const [o] = await this.d.lock.run(() => this.processBatch([p]));
        p.resolve(o);
      } catch (e) {
        if (this.stopped) {
          p.reject(e as Error);
          continue;
        }
        const dl = this.d.deadLetters.make(
          p.topic,
          p.payload,
          p.receivedAt,
          `PROCESSING_FAILED: ${(e as Error).message}`,
        );
        try {
          if (dl) {
            await this.retry(() => this.d.store.deadLetters.add(dl));
            await this.retry(() => this.d.deadLetters.added([dl]));
          }
          p.resolve("dead-letter");
        } catch (e2) {
          p.reject(e2 as Error);
        }
      }
    }
  }

  /** An event whose capture time was replaced: counted, logged once a minute per agent. */
  private skewed(v: ValidEvent): void {
    this.d.metrics.clockSkewed.inc();
    const { agentId, cameraId, capturedAt } = v.e;
    this.skewLog.run(agentId, v.receivedAt, (suppressed) =>
      this.d.log.warn(
        { agentId, cameraId, capturedAt, receivedAt: new Date(v.receivedAt).toISOString(), alsoSkewed: suppressed },
        "event capture time outside the accepted clock skew: the receive time is stored (check the agent's clock)",
      ),
    );
  }

  private async processBatch(items: Pending[]): Promise<IngestOutcome[]> {
    const t0 = performance.now();
    const { store, gallery } = this.d;
    const outcomes: IngestOutcome[] = new Array(items.length);
    const deadLetters: DeadLetter[] = [];
    const valid: Array<{ i: number; v: ValidEvent }> = [];
    items.forEach((p, i) => {
      const v = validateEvent(p.topic, p.payload, p.receivedAt, this.checks);
      if (typeof v === "string") {
        // Over its agent's rate, a refused message is counted and acknowledged, not stored.
        const dl = this.d.deadLetters.make(p.topic, p.payload, p.receivedAt, v);
        if (dl) deadLetters.push(dl);
        outcomes[i] = "dead-letter";
      } else {
        if (v.clockSkewed) this.skewed(v);
        valid.push({ i, v });
      }
    });

    // Duplicates: already stored, or twice in this batch.
    const known = valid.length
      ? await this.retry(() => store.sightings.knownEventIds(valid.map((x) => x.v.e.eventId)))
      : new Set();
    const seen = new Set<string>();
    const todo = valid.filter(({ i, v }) => {
      const id = v.e.eventId;
      if (known.has(id) || seen.has(id)) {
        outcomes[i] = "duplicate";
        this.d.metrics.eventsDuplicate.inc();
        return false;
      }
      seen.add(id);
      return true;
    });

    const plan = new BatchPlan(emptyBatch());
    for (const { i, v } of todo) outcomes[i] = await planEvent(v, plan, this.planner);
    const batch = plan.finish();

    // Crops first: a committed sighting always has its crop; a crash leaves at most an orphan file.
    await this.retry(() => this.d.crops.putMany(plan.crops));
    for (const dl of deadLetters) await this.retry(() => store.deadLetters.add(dl));
    await this.retry(() => this.d.deadLetters.added(deadLetters));
    if (todo.length) await this.retry(() => store.commitBatch(batch));

    // Committed: the in-memory gallery follows, then the world hears about it.
    for (const p of batch.newPersons) gallery.upsertPerson(p);
    for (const f of batch.newFaces) gallery.addFace(f, f.embedding);
    for (const id of batch.deletedFaceIds) gallery.removeFace(id);
    for (const id of plan.candidateRemoves) this.d.candidates.remove(id);
    for (const c of plan.candidateAdds.values()) this.d.candidates.add(c);
    this.d.candidates.evict(Date.now());
    if (batch.deletedFaceIds.length) void this.d.crops.delete("faces", batch.deletedFaceIds).catch(() => {});
    for (const p of batch.newPersons) this.d.persons.put(p);
    // A person founded with promoted candidates has earlier days than the regulars cache saw.
    for (const p of batch.newPersons) this.d.regulars.forget(p.id);
    this.d.metrics.personsCreated.inc(batch.newPersons.length);
    for (const o of outcomes) if (o === "stored" || o === "updated") this.d.metrics.eventsStored.inc({ outcome: o });
    this.d.metrics.batchSeconds.observe((performance.now() - t0) / 1000);
    this.d.metrics.batchEvents.observe(items.length);
    // Committed: a failure to tell listeners must not undo the acknowledgement.
    await this.announce(plan).catch((e) =>
      this.d.log.error({ err: (e as Error).message }, "announcing a batch failed"),
    );
    return outcomes;
  }

  private async announce(plan: BatchPlan): Promise<void> {
    const { bus } = this.d;
    const batch = plan.batch;
    for (const p of batch.newPersons) bus.emit("person", { action: "created", personId: p.id, person: p });
    const all = [
      ...batch.newSightings.map((s) => ({ s, isNew: true })),
      ...plan.updatedSightings.map((s) => ({ s, isNew: false })),
    ];
    for (const { s, isNew } of all) {
      const person = s.personId ? ((await this.d.persons.get(s.personId)) ?? null) : null;
      bus.emit("sighting", { sighting: s, person, isNew });
    }
    for (const a of batch.alerts) {
      this.d.metrics.alerts.inc({ type: a.type });
      const sighting = plan.sightingById.get(a.sightingId)!;
      const person = a.personId ? ((await this.d.persons.get(a.personId)) ?? null) : null;
      bus.emit("alert", { alert: a, person, sighting });
    }
  }

  /** Retries a store call until it succeeds (the database may be restarting); events stay unacknowledged meanwhile. */
  private retry<T>(f: () => Promise<T>): Promise<T> {
    return retryForever(f, {
      backoff: STORE_RETRY,
      stopped: () => this.stopped,
      onError: (e, _attempt, ms) => {
        this.d.metrics.storeErrors.inc();
        this.d.log.error({ err: (e as Error).message, retryInMs: ms }, "store write failed; retrying");
      },
    });
  }
}
