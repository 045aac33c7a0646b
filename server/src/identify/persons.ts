/**
 * Operator actions on persons that touch the gallery: create, rename/list, enrol and remove photos,
 * merge, delete. Each runs under the ingestion lock so the store and the index change together.
 */
import { randomUUID } from "node:crypto";
import {
  type AnalyzedFace,
  ArgusError,
  DEFAULT_DETECT_OPTIONS,
  decodeImage,
  encodeJpeg,
  type FacePipeline,
} from "@argus/shared";
import type { Regulars } from "../alerts/regulars.ts";
import type { Config } from "../config/config.ts";
import type { Bus } from "../domain/bus.ts";
import { busy, invalidArgument, notFound } from "../domain/errors.ts";
import type { Face, ListName, Person } from "../domain/types.ts";
import type { CropStore } from "../store/crops.ts";
import type { Store } from "../store/types.ts";
import { Gate, GateFull } from "../util/gate.ts";
import type { Mutex } from "../util/mutex.ts";
import { runtimeCalibration } from "./calibrated.ts";
import { dominantFace, type EnrolWarning, enrolWarnings } from "./enrolment.ts";
import type { Gallery } from "./gallery.ts";
import type { IdAllocator } from "./ids.ts";
import { type Candidate, candidatesFrom } from "./matcher.ts";
import type { PersonCache } from "./personCache.ts";
import { chooseRepresentative } from "./representatives.ts";

/** Uploaded photos are analysed as if at most this size (px, long side): see facesIn. */
const DETECT_LONG_SIDE = 4096;

/** API calls wait at most this long for a running ingest batch (longer means the database is down). */
const LOCK_TIMEOUT_MS = 15_000;

export interface PhotoFace {
  box: AnalyzedFace["box"];
  score: number;
  quality: number;
  embedding: Float32Array;
  aligned: AnalyzedFace["aligned"];
  /** The photo's size (EXIF-rotated), for the face's centrality. */
  photo: { width: number; height: number };
}

/** One face of a photo: the only one, or the dominant one (enrolment.ts), with how many were found. */
export interface ChosenFace extends PhotoFace {
  facesFound: number;
}

/** A photo's face ready to join a person: PersonService.prepareEnrol. */
export interface PreparedEnrolment {
  face: ChosenFace;
  /** Below the quality floor, enrolled because forced. */
  forced: boolean;
  /** The aligned face, the crop shown for it. */
  jpeg: Buffer;
}

export interface Enrolment {
  face: Face;
  quality: number;
  person: Person;
  box: PhotoFace["box"];
  facesFound: number;
  forced: boolean;
  warnings: EnrolWarning[];
}

export class PersonService {
  /** Decoding and the face pipeline, per server: their memory grows with the photo (see facesIn). */
  private readonly photos: Gate;

  constructor(
    private readonly d: {
      store: Store;
      gallery: Gallery;
      crops: CropStore;
      config: Config;
      bus: Bus;
      lock: Mutex;
      ids: IdAllocator;
      regulars: Regulars;
      persons: PersonCache;
      pipeline: () => Promise<FacePipeline>;
    },
  ) {
    this.photos = new Gate(d.config.http.maxConcurrentDecodes, d.config.http.maxQueuedDecodes);
  }

  private locked<T>(f: () => Promise<T>): Promise<T> {
    return this.d.lock.run(f, LOCK_TIMEOUT_MS);
  }

  private changed(p: Person, action: "created" | "updated"): Person {
    this.d.persons.put(p);
    this.d.bus.emit("person", { action, personId: p.id, person: p });
    return p;
  }

  async create(input: { name: string; list?: ListName | null; meta?: Record<string, unknown> }): Promise<Person> {
    const now = Date.now();
    const p: Person = {
      id: randomUUID(),
      name: input.name,
      kind: "enrolled",
      list: input.list ?? null,
      meta: input.meta ?? {},
      autoNumber: null,
      cameraId: null,
      createdAt: now,
      updatedAt: now,
      lastSeenAt: null,
      sightingCount: 0,
    };
    return this.locked(async () => {
      await this.d.store.persons.insert(p);
      this.d.gallery.upsertPerson(p);
      return this.changed(p, "created");
    });
  }

  async get(id: string): Promise<Person> {
    const p = await this.d.store.persons.get(id);
    if (!p) throw notFound("person", id);
    return p;
  }

  /** Naming an automatic person makes it enrolled (curated): it leaves the unknowns and is matched everywhere. */
  async update(
    id: string,
    patch: { name?: string; list?: ListName | null; meta?: Record<string, unknown> },
  ): Promise<Person> {
    return this.locked(async () => {
      const cur = await this.get(id);
      const kind = patch.name !== undefined && patch.name !== cur.name ? "enrolled" : undefined;
      const p = await this.d.store.persons.update(id, { ...patch, ...(kind ? { kind } : {}) }, Date.now());
      if (!p) throw notFound("person", id);
      this.d.gallery.upsertPerson(p);
      return this.changed(p, "updated");
    });
  }

  /** Deletes the person with their faces, sightings, crops and alerts; returns what went (the history index follows). */
  async delete(id: string): Promise<{ faceIds: number[]; sightingIds: string[] }> {
    const removed = await this.locked(async () => {
      const r = await this.d.store.persons.delete(id);
      if (!r) throw notFound("person", id);
      this.d.gallery.removePerson(id);
      this.d.persons.forget(id);
      this.d.regulars.forget(id);
      await Promise.all([
        this.d.crops.delete("sightings", r.sightingIds),
        this.d.crops.delete("context", r.sightingIds),
        this.d.crops.delete("faces", r.faceIds),
      ]);
      return r;
    });
    this.d.bus.emit("person", { action: "deleted", personId: id });
    return removed;
  }

  /** Moves `fromId` into `intoId`: sightings, faces and alerts move; the index follows; the set stays bounded. */
  async merge(intoId: string, fromId: string): Promise<Person> {
    if (intoId === fromId) throw invalidArgument("from", "cannot merge a person into itself");
    const merged = await this.locked(async () => {
      const into = await this.get(intoId);
      const from = await this.d.store.persons.get(fromId);
      if (!from) throw notFound("person", fromId, "from");
      await this.d.store.persons.merge(intoId, fromId, Date.now());
      this.d.gallery.merge(intoId, fromId);
      // The survivor keeps its own list, else takes the other's; an enrolled side makes it enrolled.
      const kind = into.kind === "enrolled" || from.kind === "enrolled" ? "enrolled" : "auto";
      const list = into.list ?? from.list;
      const p = (await this.d.store.persons.update(intoId, { kind, list }, Date.now()))!;
      this.d.gallery.upsertPerson(p);
      await this.trimReps(intoId);
      this.d.persons.forget(fromId);
      this.d.regulars.forget(intoId);
      this.d.regulars.forget(fromId);
      return p;
    });
    this.d.bus.emit("person", { action: "merged", personId: fromId, into: intoId });
    return this.changed(merged, "updated");
  }

  /** After a merge: drop learned faces beyond the bound, re-choosing them like ingestion does. */
  private async trimReps(personId: string): Promise<void> {
    const policy = this.d.config.identify.representatives;
    const reps = this.d.gallery.reps(personId).sort((a, b) => b.quality - a.quality);
    const keep = reps.filter((r) => r.source === "enrol");
    const drop: number[] = [];
    for (const r of reps.filter((x) => x.source === "sighting")) {
      const dec = chooseRepresentative(keep, r, policy);
      if (dec.add && dec.replace === undefined) keep.push(r);
      else if (dec.add && dec.replace !== undefined) {
        drop.push(dec.replace);
        keep.splice(
          keep.findIndex((k) => k.id === dec.replace),
          1,
          r,
        );
      } else drop.push(r.id);
    }
    if (!drop.length) return;
    await this.d.store.persons.deleteFaces(drop);
    for (const id of drop) this.d.gallery.removeFace(id);
    await this.d.crops.delete("faces", drop);
  }

  // ------------------------------------------------------------------ photos

  /**
   * 503 BUSY (with Retry-After) when an upload arriving now would find the photo queue full: checked
   * before its body is read.
   */
  admitPhoto(): void {
    try {
      this.photos.admit();
    } catch (e) {
      throw this.busy(e);
    }
  }

  private busy(e: unknown): unknown {
    if (!(e instanceof GateFull)) return e;
    const { maxConcurrentDecodes: n, maxQueuedDecodes: q } = this.d.config.http;
    return busy(`${n} photos are being analysed and ${q} wait; retry in ${e.retryAfterSeconds} s`, e.retryAfterSeconds);
  }

  /**
   * Decodes an upload and finds its faces (with embeddings). Decode and pipeline run inside the photo
   * gate: a decoded photo takes 3 bytes per pixel (75 MB at the 25 MP limit) plus the pipeline's
   * working images, so only http.maxConcurrentDecodes run at once, http.maxQueuedDecodes wait, and
   * more are refused (503) instead of taking the server's memory.
   */
  async facesIn(image: Buffer, field = "image"): Promise<PhotoFace[]> {
    const { http } = this.d.config;
    const pipeline = await this.d.pipeline();
    try {
      return await this.photos.run(async () => {
        let rgb: Awaited<ReturnType<typeof decodeImage>>;
        try {
          rgb = await decodeImage(image, { maxBytes: http.maxUploadBytes, maxPixels: http.maxImagePixels });
        } catch (e) {
          if (e instanceof ArgusError) throw new ArgusError(e.code, `${field}: ${e.message}`, e.details);
          throw e;
        }
        // Faces are searched for as if the photo were at most 4096 px on its long side: smaller ones
        // make poor embeddings, and finer detection tiles grow with the square of the photo's size.
        const minFaceSize = Math.max(
          DEFAULT_DETECT_OPTIONS.minFaceSize,
          Math.ceil((DEFAULT_DETECT_OPTIONS.minFaceSize * Math.max(rgb.width, rgb.height)) / DETECT_LONG_SIDE),
        );
        const faces = await pipeline.process(rgb, { minFaceSize });
        return faces.map((f) => ({
          box: f.box,
          score: f.score,
          quality: f.quality.score,
          embedding: f.embedding!,
          aligned: f.aligned,
          photo: { width: rgb.width, height: rgb.height },
        }));
      });
    } catch (e) {
      throw this.busy(e);
    }
  }

  /**
   * The photo's one face, or its clearly dominant one (identify.enrol.dominance: size and centrality,
   * enrolment.ts); else 422 NO_FACE / MULTIPLE_FACES naming the field, the latter with every face's
   * box and quality in its details.
   */
  async oneFace(image: Buffer, field = "image"): Promise<ChosenFace> {
    const faces = await this.facesIn(image, field);
    if (faces.length === 0) throw new ArgusError("NO_FACE", `${field}: no face found in the image`);
    const i = dominantFace(faces, faces[0].photo, this.d.config.identify.enrol.dominance);
    if (i === undefined) {
      const round = (b: readonly number[]) => b.map((x) => Math.round(x));
      throw new ArgusError(
        "MULTIPLE_FACES",
        `${field}: ${faces.length} faces found and none clearly dominant (at least ${this.d.config.identify.enrol.dominance}x the others by size and centrality); send a photo of one face, or crop it`,
        {
          count: faces.length,
          faces: faces.map((f) => ({ box: round(f.box), quality: Math.round(f.quality * 1000) / 1000 })),
        },
      );
    }
    return { ...faces[i], facesFound: faces.length };
  }

  /**
   * Enrols the photo's face (its only or dominant one). Below the quality floor
   * (identify.enrol.minQuality) it is refused with 422 LOW_QUALITY unless `force`. Warns when the
   * photo matches other persons (the same person enrolled twice?).
   */
  async enrol(personId: string, image: Buffer, opts: { force?: boolean } = {}): Promise<Enrolment> {
    await this.get(personId); // 404 before the expensive part
    return this.commitEnrol(personId, await this.prepareEnrol(image, opts));
  }

  /**
   * The expensive, person-free half of an enrolment: the photo's face (oneFace), the quality floor and
   * the aligned crop. Bulk enrolment (bulkEnrol.ts) runs it before it finds or creates the person.
   */
  async prepareEnrol(image: Buffer, opts: { force?: boolean } = {}): Promise<PreparedEnrolment> {
    const f = await this.oneFace(image);
    const floor = this.d.config.identify.enrol.minQuality;
    const low = f.quality < floor;
    if (low && !opts.force)
      throw new ArgusError(
        "LOW_QUALITY",
        `image: the face's quality is ${f.quality.toFixed(2)}, below the enrolment floor ${floor} (blurred, small, turned or badly lit?); send a better photo, or add ?force=true`,
        { quality: Math.round(f.quality * 1000) / 1000, floor, box: f.box.map((x) => Math.round(x)) },
      );
    return { face: f, forced: low, jpeg: await encodeJpeg(f.aligned, 90) };
  }

  /** The other half: the face joins the person (store, crop, index), with the warnings of enrolWarnings. */
  async commitEnrol(personId: string, prepared: PreparedEnrolment): Promise<Enrolment> {
    const { face: f, forced, jpeg } = prepared;
    return this.locked(async () => {
      let person = await this.get(personId);
      const { identify } = this.d.config;
      const warnings = enrolWarnings(this.d.gallery, f.embedding, personId, runtimeCalibration(identify), identify.k);
      const face = {
        id: this.d.ids.nextFaceId(),
        personId,
        source: "enrol" as const,
        cameraId: null,
        quality: f.quality,
        sightingId: null,
        createdAt: Date.now(),
      };
      await this.d.crops.put("faces", face.id, jpeg);
      await this.d.store.persons.insertFace({ ...face, embedding: f.embedding });
      if (person.kind === "auto")
        person = (await this.d.store.persons.update(personId, { kind: "enrolled" }, Date.now()))!;
      this.d.gallery.upsertPerson(person);
      this.d.gallery.addFace(face, f.embedding);
      this.changed(person, "updated");
      return { face, quality: f.quality, person, box: f.box, facesFound: f.facesFound, forced, warnings };
    });
  }

  async deleteFace(personId: string, faceId: number): Promise<void> {
    await this.locked(async () => {
      const f = await this.d.store.persons.getFace(faceId);
      if (!f || f.personId !== personId) throw notFound("face", faceId);
      await this.d.store.persons.deleteFaces([faceId]);
      this.d.gallery.removeFace(faceId);
      await this.d.crops.delete("faces", [faceId]);
    });
  }

  /** Candidates for an embedding across every scope, at or above `minSimilarity`. */
  candidates(embedding: Float32Array, limit: number, minSimilarity: number): Candidate[] {
    const k = Math.max(this.d.config.identify.k, limit * 4);
    return candidatesFrom(this.d.gallery.search(embedding, k), this.d.gallery.personOf, limit).filter(
      (c) => c.similarity >= minSimilarity,
    );
  }
}
