/**
 * The ingestion core, shared by both transports (embedded broker hook, MQTT consumer):
 * validate -> drop duplicates -> identify (or found an automatic person) -> store -> acknowledge.
 *
 * submit() resolves only once the event is committed (or kept as a dead letter, or known as a
 * duplicate); the transport acknowledges the MQTT message then, so a crash means redelivery, not loss.
 * Events that arrive together are planned one after another (a new face founds one person, the next
 * shot of that face links to it) and committed in one store transaction.
 */
import { randomUUID } from "node:crypto";
import { type FaceEvent, featureModelId, type Logger, parseFaceEvent, parseTopic } from "@argus/shared";
import type { Regulars } from "../alerts/regulars.ts";
import { alertsFor, type Cooldown, verdictOf } from "../alerts/rules.ts";
import type { Bus } from "../bus.ts";
import type { Config } from "../config.ts";
import {
  type Alert,
  DEAD_LETTER_MAX_BYTES,
  type DeadLetter,
  type Delivery,
  type Person,
  type Sighting,
  type Webhook,
} from "../domain/types.ts";
import type { Gallery } from "../identify/gallery.ts";
import { type Candidate, candidatesFrom, decide } from "../identify/matcher.ts";
import { chooseRepresentative, chooseRepresentativeFast, type Rep } from "../identify/representatives.ts";
import { dot, normalize } from "../identify/vector.ts";
import type { ServerMetrics } from "../metrics.ts";
import type { CropStore } from "../store/crops.ts";
import { emptyBatch, type IngestBatch, type Store } from "../store/types.ts";
import { derivedId } from "../util/ids.ts";
import type { Mutex } from "../util/mutex.ts";

export type IngestOutcome = "stored" | "updated" | "duplicate" | "dead-letter";

interface Pending {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  resolve: (o: IngestOutcome) => void;
  reject: (e: Error) => void;
}

/** A validated event with its decoded parts. */
interface Valid {
  p: Pending;
  e: FaceEvent;
  vector: Float32Array;
  faceJpeg: Buffer;
  contextJpeg?: Buffer;
  capturedAt: number;
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
  /** Camera sensitivity and webhooks, kept current by the API. */
  cameraSensitive: (cameraId: string) => boolean;
  webhooks: () => Webhook[];
  persons: PersonCache;
}

/** Recently used person records for event payloads (names); the API invalidates on change. */
export class PersonCache {
  private readonly map = new Map<string, Person>();
  constructor(
    private readonly store: Store,
    private readonly max = 10_000,
  ) {}
  async get(id: string): Promise<Person | undefined> {
    const hit = this.map.get(id);
    if (hit) return hit;
    const p = await this.store.persons.get(id);
    if (p) this.put(p);
    return p;
  }
  put(p: Person): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(p.id, p);
  }
  forget(id: string): void {
    this.map.delete(id);
  }
}

const JPEG_MAGIC = (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8;

export class Ingestor {
  private readonly queue: Pending[] = [];
  private pumping = false;
  private stopped = false;
  private nextFaceId = 0;
  private nextAutoNumber = 0;
  private readonly model = featureModelId();
  private readonly prefix: string;

  constructor(private readonly d: IngestorDeps) {
    this.prefix = d.config.mqtt.topicPrefix;
  }

  async init(): Promise<void> {
    this.nextFaceId = await this.d.store.persons.maxFaceId();
    this.nextAutoNumber = await this.d.store.persons.maxAutoNumber();
  }

  /** Face ids and "unknown #N" numbers are handed out here, so the API's enrolment uses these too. */
  allocFaceId(): number {
    return ++this.nextFaceId;
  }
  allocAutoNumber(): number {
    return ++this.nextAutoNumber;
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
        const dl = this.deadLetter(p, `PROCESSING_FAILED: ${(e as Error).message}`);
        try {
          await this.retry(() => this.d.store.deadLetters.add(dl));
          p.resolve("dead-letter");
        } catch (e2) {
          p.reject(e2 as Error);
        }
      }
    }
  }

  private deadLetter(p: Pending, error: string): DeadLetter {
    this.d.metrics.deadLetters.inc({ reason: error.split(":")[0].slice(0, 40) });
    this.d.log.warn(
      { topic: p.topic, error: error.slice(0, 500), bytes: p.payload.length },
      "invalid face event kept as a dead letter",
    );
    return {
      id: randomUUID(),
      receivedAt: p.receivedAt,
      topic: p.topic,
      error: error.slice(0, 2000),
      payload: p.payload.subarray(0, DEAD_LETTER_MAX_BYTES),
      size: p.payload.length,
    };
  }

  /** Validation beyond the schema: topic agrees with payload, same embedding model, decodable parts. */
  private validate(p: Pending): Valid | string {
    const t = parseTopic(p.topic, this.prefix);
    if (t?.kind !== "faces") return `BAD_TOPIC: ${p.topic} is not a face topic`;
    const r = parseFaceEvent(p.payload);
    if (!r.ok) return `INVALID_EVENT: ${r.error}`;
    const e = r.event;
    if (e.agentId !== t.agentId || e.cameraId !== t.cameraId) {
      return `TOPIC_MISMATCH: event says agent '${e.agentId}' camera '${e.cameraId}', topic says '${t.agentId}'/'${t.cameraId}'`;
    }
    if (e.embedding.modelSha256 !== this.model.sha256) {
      return `MODEL_MISMATCH: embedding from model ${e.embedding.model} (${e.embedding.modelSha256.slice(0, 12)}), the server uses ${this.model.id} (${this.model.sha256.slice(0, 12)})`;
    }
    const raw = Buffer.from(e.embedding.vector, "base64");
    const vector = new Float32Array(raw.length / 4);
    new Uint8Array(vector.buffer).set(raw);
    if (!normalize(vector)) return "BAD_EMBEDDING: zero or non-finite vector";
    const faceJpeg = Buffer.from(e.faceJpeg, "base64");
    if (!JPEG_MAGIC(faceJpeg)) return "BAD_CROP: faceJpeg is not a JPEG";
    const contextJpeg = e.contextJpeg ? Buffer.from(e.contextJpeg, "base64") : undefined;
    if (contextJpeg && !JPEG_MAGIC(contextJpeg)) return "BAD_CROP: contextJpeg is not a JPEG";
    const capturedAt = Date.parse(e.capturedAt);
    return { p, e, vector, faceJpeg, contextJpeg, capturedAt };
  }

  private async processBatch(items: Pending[]): Promise<IngestOutcome[]> {
    const t0 = performance.now();
    const { store, gallery } = this.d;
    const outcomes: IngestOutcome[] = new Array(items.length);
    const batch = emptyBatch();
    const deadLetters: DeadLetter[] = [];
    const valid: Array<{ i: number; v: Valid }> = [];
    items.forEach((p, i) => {
      const v = this.validate(p);
      if (typeof v === "string") {
        deadLetters.push(this.deadLetter(p, v));
        outcomes[i] = "dead-letter";
      } else valid.push({ i, v });
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

    const plan = new BatchPlan();
    for (const { i, v } of todo) outcomes[i] = await this.plan(v, plan, batch);

    // Crops first: a committed sighting always has its crop; a crash leaves at most an orphan file.
    await this.retry(() => Promise.all(plan.crops.map((c) => this.d.crops.put(c.kind, c.id, c.jpeg))));
    for (const dl of deadLetters) await this.retry(() => store.deadLetters.add(dl));
    if (todo.length) await this.retry(() => store.commitBatch(finish(batch, plan)));

    // Committed: the in-memory gallery follows, then the world hears about it.
    for (const p of batch.newPersons) gallery.upsertPerson(p);
    for (const f of batch.newFaces) gallery.addFace(f, f.embedding);
    for (const id of batch.deletedFaceIds) gallery.removeFace(id);
    if (batch.deletedFaceIds.length) void this.d.crops.delete("faces", batch.deletedFaceIds).catch(() => {});
    for (const p of batch.newPersons) this.d.persons.put(p);
    this.d.metrics.personsCreated.inc({}, batch.newPersons.length);
    for (const o of outcomes) if (o === "stored" || o === "updated") this.d.metrics.eventsStored.inc({ outcome: o });
    this.d.metrics.batchMs.observe(performance.now() - t0);
    // Committed: a failure to tell listeners must not undo the acknowledgement.
    await this.announce(batch, plan).catch((e) =>
      this.d.log.error({ err: (e as Error).message }, "announcing a batch failed"),
    );
    return outcomes;
  }

  private async announce(batch: IngestBatch, plan: BatchPlan): Promise<void> {
    const { bus } = this.d;
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
  private async retry<T>(f: () => Promise<T>): Promise<T> {
    let wait = 200;
    for (;;) {
      try {
        return await f();
      } catch (e) {
        if (this.stopped) throw e;
        this.d.metrics.storeErrors.inc();
        this.d.log.error({ err: (e as Error).message, retryInMs: wait }, "store write failed; retrying");
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 10_000);
      }
    }
  }

  /** Plans one event into the batch; returns its outcome. */
  private async plan(v: Valid, plan: BatchPlan, batch: IngestBatch): Promise<IngestOutcome> {
    const { e, vector, capturedAt } = v;
    const { config, gallery, store } = this.d;
    const quality = e.quality.score;
    const trackKey = `${e.agentId}|${e.cameraId}|${e.trackId}`;
    const windowMs = config.ingest.trackWindowSeconds * 1000;
    let track = plan.tracks.get(trackKey);
    if (!track && windowMs > 0) {
      const found = await this.retry(() =>
        store.sightings.findTrack(e.agentId, e.cameraId, e.trackId, capturedAt - windowMs),
      );
      if (found && (found.personId === null || gallery.hasPerson(found.personId))) track = found;
    }
    plan.camera(batch, e.cameraId, e.agentId, capturedAt);

    // Who is it? A known track keeps its person; otherwise search the gallery (and faces new in this batch).
    let personId: string | null = track?.personId ?? null;
    let similarity: number | null = null;
    let nearest: { id: number; similarity: number } | undefined;
    let created: Person | undefined;
    if (personId) {
      similarity = this.similarityTo(personId, vector, plan);
    } else {
      const t = performance.now();
      const neighbors = gallery.search(vector, config.identify.k, e.cameraId);
      for (const f of plan.faces) {
        if (config.identify.matching === "global" || f.scopeCamera === null || f.scopeCamera === e.cameraId) {
          neighbors.push({ label: f.id, similarity: dot(f.vector, vector) });
        }
      }
      const cands = candidatesFrom(neighbors, (l) => gallery.personOf(l) ?? plan.facePerson.get(l), 1);
      this.d.metrics.identifyMs.observe(performance.now() - t);
      const decision = decide(cands[0] as Candidate | undefined, quality, {
        threshold: config.identify.threshold,
        minQualityNewPerson: config.identify.minQualityNewPerson,
      });
      if (decision.kind === "match") {
        personId = decision.candidate.personId;
        similarity = decision.candidate.similarity;
        nearest = { id: decision.candidate.faceId, similarity };
      } else if (decision.kind === "new") {
        const n = this.allocAutoNumber();
        created = {
          id: derivedId(e.eventId, "person"),
          name: `Unknown #${n}`,
          kind: "auto",
          list: null,
          meta: {},
          autoNumber: n,
          cameraId: e.cameraId,
          createdAt: capturedAt,
          updatedAt: capturedAt,
          lastSeenAt: capturedAt,
          sightingCount: 0,
        };
        batch.newPersons.push(created);
        plan.newPersons.set(created.id, created);
        personId = created.id;
      }
    }

    const sightingId = track?.id ?? derivedId(e.eventId, "sighting");
    // Representatives: the founding face always; later faces if confidently the same person and useful.
    if (personId) {
      if (created) this.addRep(plan, batch, personId, v, sightingId, undefined);
      else if (similarity !== null && similarity >= config.identify.threshold && !plan.repTouched.has(personId)) {
        const cand = { quality, vector };
        const policy = config.identify.representatives;
        const pid = personId;
        const decision =
          nearest && this.d.gallery.hasPerson(pid)
            ? chooseRepresentativeFast(this.d.gallery.repMeta(pid), nearest, cand, policy, () => this.repsOf(pid, plan))
            : chooseRepresentative(this.repsOf(pid, plan), cand, policy);
        if (decision.add) this.addRep(plan, batch, personId, v, sightingId, decision.replace);
      }
      const seen = plan.personSeen.get(personId);
      plan.personSeen.set(personId, Math.max(seen ?? 0, capturedAt));
    }

    // Friend or foe, and alerts (only for a new sighting: one per pass in front of the camera).
    const person = personId ? (plan.newPersons.get(personId) ?? gallery.person(personId)) : undefined;
    const regular =
      personId && !person?.list
        ? await this.retry(() => this.d.regulars.isRegular(personId!, e.cameraId, capturedAt))
        : false;
    const verdict = verdictOf(person?.list, regular);

    const shot = {
      quality,
      box: e.box,
      frame: e.frame,
      eventId: e.eventId,
      similarity,
      hasContext: !!v.contextJpeg && config.ingest.storeContextCrops,
      attributes: e.attributes ?? null,
    };
    batch.eventIds.push({ eventId: e.eventId, sightingId, receivedAt: v.p.receivedAt });
    if (track) {
      const better = quality > track.quality;
      const set: Partial<Sighting> = {
        lastSeenAt: Math.max(track.lastSeenAt, capturedAt),
        shots: track.shots + 1,
        personId,
        verdict,
        ...(better ? shot : {}),
      };
      const isNewInBatch = plan.sightingById.has(track.id) && batch.newSightings.some((s) => s.id === track!.id);
      Object.assign(track, set);
      if (!isNewInBatch) {
        const prev = plan.updates.get(track.id);
        plan.updates.set(track.id, { ...(prev ?? {}), ...set });
        if (!plan.updatedSightings.includes(track)) plan.updatedSightings.push(track);
      }
      plan.tracks.set(trackKey, track);
      plan.sightingById.set(track.id, track);
      if (better) this.queueCrops(plan, track.id, v);
      return "updated";
    }

    const s: Sighting = {
      id: sightingId,
      personId,
      cameraId: e.cameraId,
      agentId: e.agentId,
      trackId: e.trackId,
      capturedAt,
      lastSeenAt: capturedAt,
      day: this.d.regulars.day(capturedAt),
      verdict,
      shots: 1,
      createdAt: v.p.receivedAt,
      ...shot,
    };
    batch.newSightings.push(s);
    plan.tracks.set(trackKey, s);
    plan.sightingById.set(s.id, s);
    this.queueCrops(plan, s.id, v);

    const types = alertsFor({
      verdict,
      personKind: person?.kind ?? null,
      cameraSensitive: this.d.cameraSensitive(e.cameraId),
      unknownAtSensitive: config.alerts.unknownAtSensitive,
    });
    for (const type of types) {
      if (!this.d.cooldown.allow(`${type}|${personId ?? `track:${trackKey}`}|${e.cameraId}`, capturedAt)) continue;
      const alert: Alert = {
        id: derivedId(s.id, type),
        type,
        personId,
        sightingId: s.id,
        cameraId: e.cameraId,
        agentId: e.agentId,
        capturedAt,
        similarity,
        createdAt: v.p.receivedAt,
        ackedAt: null,
        ackedBy: null,
      };
      batch.alerts.push(alert);
      for (const w of this.d.webhooks()) {
        if (!w.enabled || (w.events.length && !w.events.includes(type))) continue;
        const at = v.p.receivedAt;
        const delivery: Delivery = {
          id: derivedId(alert.id, w.id),
          webhookId: w.id,
          alertId: alert.id,
          status: "pending",
          attempts: 0,
          nextAttemptAt: at,
          lastError: null,
          createdAt: at,
          updatedAt: at,
        };
        batch.deliveries.push(delivery);
      }
    }
    return "stored";
  }

  private queueCrops(plan: BatchPlan, sightingId: string, v: Valid): void {
    plan.crops.push({ kind: "sightings", id: sightingId, jpeg: v.faceJpeg });
    if (v.contextJpeg && this.d.config.ingest.storeContextCrops)
      plan.crops.push({ kind: "context", id: sightingId, jpeg: v.contextJpeg });
  }

  private repsOf(personId: string, plan: BatchPlan): Rep[] {
    const reps = this.d.gallery.hasPerson(personId) ? this.d.gallery.reps(personId) : [];
    for (const f of plan.faces)
      if (f.personId === personId) reps.push({ id: f.id, quality: f.quality, source: "sighting", vector: f.vector });
    return reps;
  }

  private similarityTo(personId: string, vector: Float32Array, plan: BatchPlan): number | null {
    let best: number | null = null;
    for (const r of this.repsOf(personId, plan)) {
      const s = dot(r.vector, vector);
      if (best === null || s > best) best = s;
    }
    return best;
  }

  private addRep(
    plan: BatchPlan,
    batch: IngestBatch,
    personId: string,
    v: Valid,
    sightingId: string,
    replace?: number,
  ) {
    const id = this.allocFaceId();
    const face = {
      id,
      personId,
      source: "sighting" as const,
      cameraId: v.e.cameraId,
      quality: v.e.quality.score,
      sightingId,
      createdAt: v.capturedAt,
      embedding: v.vector,
    };
    batch.newFaces.push(face);
    if (replace !== undefined) batch.deletedFaceIds.push(replace);
    const person = plan.newPersons.get(personId) ?? this.d.gallery.person(personId);
    const global = this.d.config.identify.matching === "global" || person?.kind === "enrolled" || !!person?.list;
    plan.faces.push({
      id,
      personId,
      quality: face.quality,
      vector: v.vector,
      scopeCamera: global ? null : v.e.cameraId,
    });
    plan.facePerson.set(id, personId);
    plan.repTouched.add(personId);
    plan.crops.push({ kind: "faces", id, jpeg: v.faceJpeg });
  }
}

/** What a batch has decided so far (later events of the batch see it). */
class BatchPlan {
  readonly tracks = new Map<string, Sighting>();
  readonly sightingById = new Map<string, Sighting>();
  readonly updates = new Map<string, Partial<Sighting>>();
  readonly updatedSightings: Sighting[] = [];
  readonly newPersons = new Map<string, Person>();
  readonly faces: Array<{
    id: number;
    personId: string;
    quality: number;
    vector: Float32Array;
    scopeCamera: string | null;
  }> = [];
  readonly facePerson = new Map<number, string>();
  readonly repTouched = new Set<string>();
  readonly personSeen = new Map<string, number>();
  readonly crops: Array<{ kind: "sightings" | "context" | "faces"; id: string | number; jpeg: Buffer }> = [];
  private readonly cams = new Map<string, { cameraId: string; agentId: string; at: number; events: number }>();

  camera(_batch: IngestBatch, cameraId: string, agentId: string, at: number): void {
    const c = this.cams.get(cameraId);
    if (c) {
      c.at = Math.max(c.at, at);
      c.events++;
      c.agentId = agentId;
    } else this.cams.set(cameraId, { cameraId, agentId, at, events: 1 });
  }
  cameraEvents() {
    return [...this.cams.values()];
  }
}

function finish(batch: IngestBatch, plan: BatchPlan): IngestBatch {
  batch.sightingUpdates = [...plan.updates].map(([id, set]) => ({ id, set }));
  batch.personSeen = [...plan.personSeen].map(([id, at]) => ({ id, at }));
  batch.cameraEvents = plan.cameraEvents();
  return batch;
}
