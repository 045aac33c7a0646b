/**
 * Operator corrections of identities, with the audit trail: move sightings to another person, to a
 * new person or to no one ("not X"); split a person; delete and merge persons (PersonService does the
 * work, this adds the history index, the exclusions, open proposals and the audit entries).
 *
 * A move runs under the ingestion lock, so the store, the gallery and the history index change
 * together and no event is identified in between:
 *   - the store moves the sightings (counts and last-seen times of both sides recomputed, alerts follow)
 *     and drops the faces learned from them: they leave the old person's representatives and the index
 *     at once;
 *   - the old person is remembered as "not X" for each moved track (store.exclusions, exclusions.ts);
 *   - the new person learns representatives from the moved sightings (like ingestion: quality and
 *     diversity; a new person always gets its best face, else nothing could ever match it);
 *   - regulars caches of every person touched are forgotten, the person cache and the event stream follow.
 */
import { randomUUID } from "node:crypto";
import type { MuteSet } from "../alerts/mutes.ts";
import type { Regulars } from "../alerts/regulars.ts";
import { type AuditLog, personState, sightingState } from "../audit/audit.ts";
import type { Config } from "../config/config.ts";
import type { Bus } from "../domain/bus.ts";
import { busy, invalidArgument, notFound } from "../domain/errors.ts";
import { type Actor, cameraKey, type ListName, type Person, type Sighting } from "../domain/types.ts";
import type { CropStore } from "../store/crops.ts";
import type { Store } from "../store/types.ts";
import { type Mutex, TimeoutError } from "../util/mutex.ts";
import type { Exclusions } from "./exclusions.ts";
import { trackKeyOf } from "./exclusions.ts";
import type { Gallery } from "./gallery.ts";
import type { HistoryIndex } from "./history.ts";
import type { IdAllocator } from "./ids.ts";
import type { PersonCache } from "./personCache.ts";
import type { PersonService } from "./persons.ts";
import { chooseRepresentative, type Rep } from "./representatives.ts";

/** API calls wait at most this long for a running ingest batch. */
const LOCK_TIMEOUT_MS = 15_000;
/** Sightings moved by one call. */
export const MAX_MOVE = 500;

export type MoveTarget =
  | { kind: "person"; personId: string }
  | { kind: "new"; name?: string; list?: ListName | null }
  | { kind: "none" };

export interface MoveResult {
  /** The person the sightings now belong to (null: no one). */
  person: Person | null;
  /** The persons they came from, as they are now (a person left with nothing stays: delete it if wanted). */
  from: Person[];
  sightings: Sighting[];
  /** Faces learned from the moved sightings that left their old persons. */
  removedFaces: number[];
  /** Faces the target person learned from them. */
  learnedFaces: number[];
}

export class CorrectionService {
  constructor(
    private readonly d: {
      store: Store;
      gallery: Gallery;
      history: HistoryIndex;
      crops: CropStore;
      config: Config;
      bus: Bus;
      lock: Mutex;
      ids: IdAllocator;
      regulars: Regulars;
      persons: PersonCache;
      personService: PersonService;
      exclusions: Exclusions;
      mutes: MuteSet;
      audit: AuditLog;
    },
  ) {}

  private async locked<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await this.d.lock.run(f, LOCK_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof TimeoutError) throw busy("an ingest batch holds the lock (is the database down?); retry", 5);
      throw e;
    }
  }

  /** Moves sightings to a person, a new person or no one; see the file's comment. */
  async move(ids: string[], target: MoveTarget, actor: Actor, action = "sighting.move"): Promise<MoveResult> {
    const unique = [...new Set(ids)];
    if (!unique.length) throw invalidArgument("sightingIds", "give at least one sighting");
    if (unique.length > MAX_MOVE) throw invalidArgument("sightingIds", `at most ${MAX_MOVE} sightings at once`);
    const r = await this.locked(() => this.moveLocked(unique, target, actor));
    this.announce(r);
    for (const s of r.sightings) {
      const was = r.before.get(s.id)!;
      await this.d.audit.record({
        actor,
        action,
        targetType: "sighting",
        targetId: s.id,
        before: sightingState(was),
        after: sightingState(s),
      });
    }
    if (target.kind === "new" && r.person)
      await this.d.audit.record({
        actor,
        action: "person.create",
        targetType: "person",
        targetId: r.person.id,
        before: null,
        after: { ...personState(r.person), fromSightings: r.sightings.map((s) => s.id) },
      });
    return r;
  }

  private async moveLocked(
    ids: string[],
    target: MoveTarget,
    actor: Actor,
  ): Promise<MoveResult & { before: Map<string, Sighting> }> {
    const { store, gallery } = this.d;
    const found = await Promise.all(ids.map((id) => store.sightings.get(id)));
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length) throw notFound("sighting", missing[0]);
    const sightings = found as Sighting[];
    const now = Date.now();

    let person: Person | null = null;
    if (target.kind === "person") {
      person = (await store.persons.get(target.personId)) ?? null;
      if (!person) throw notFound("person", target.personId, "personId");
    } else if (target.kind === "new") {
      person = this.newPerson(target, sightings, now);
      await store.persons.insert(person);
      gallery.upsertPerson(person);
    }
    const toId = person?.id ?? null;
    const moving = sightings.filter((s) => s.personId !== toId || (toId === null && s.unlinkedReason !== "unlinked"));
    const r = await store.sightings.reassign(
      moving.map((s) => s.id),
      toId,
      now,
      "unlinked",
    );
    for (const f of r.deletedFaceIds) gallery.removeFace(f);
    if (r.deletedFaceIds.length) void this.d.crops.delete("faces", r.deletedFaceIds).catch(() => {});

    // "Not X": each moved track is never linked to its old person again.
    for (const s of r.before)
      if (s.personId && s.personId !== toId)
        await this.d.exclusions.add({
          trackKey: trackKeyOf(s),
          personId: s.personId,
          sightingId: s.id,
          createdAt: now,
          createdBy: `${actor.kind}:${actor.name}`,
        });

    const learned = person ? await this.learn(person, r.before, target.kind === "new") : [];
    for (const s of r.before) this.d.history.setLinked(s.id, toId !== null);

    const fromIds = [...new Set(r.before.map((s) => s.personId).filter((x): x is string => !!x && x !== toId))];
    const from: Person[] = [];
    for (const id of fromIds) {
      const p = await store.persons.get(id);
      this.d.regulars.forget(id);
      if (p) {
        this.d.persons.put(p);
        from.push(p);
      } else this.d.persons.forget(id);
    }
    if (person) {
      person = (await store.persons.get(person.id)) ?? person;
      this.d.persons.put(person);
      this.d.regulars.forget(person.id);
    }
    const after = await Promise.all(sightings.map(async (s) => (await store.sightings.get(s.id)) ?? s));
    return {
      person,
      from,
      sightings: after,
      removedFaces: r.deletedFaceIds,
      learnedFaces: learned,
      before: new Map(sightings.map((s) => [s.id, s])),
    };
  }

  private newPerson(target: Extract<MoveTarget, { kind: "new" }>, sightings: Sighting[], now: number): Person {
    const named = target.name !== undefined && target.name.trim() !== "";
    const first = [...sightings].sort((a, b) => a.capturedAt - b.capturedAt)[0];
    const n = named ? null : this.d.ids.nextAutoNumber();
    return {
      id: randomUUID(),
      name: named ? target.name!.trim() : `Unknown #${n}`,
      kind: named || target.list ? "enrolled" : "auto",
      list: target.list ?? null,
      meta: {},
      autoNumber: n,
      cameraId: cameraKey(first.agentId, first.cameraId),
      createdAt: now,
      updatedAt: now,
      lastSeenAt: null,
      sightingCount: 0,
    };
  }

  /** The target person learns representatives from the moved sightings (best quality first). */
  private async learn(person: Person, moved: Sighting[], isNew: boolean): Promise<number[]> {
    const { store, gallery, crops } = this.d;
    const policy = this.d.config.identify.representatives;
    const vectors = await store.sightings.embeddings(moved.map((s) => s.id));
    const reps: Rep[] = gallery.reps(person.id);
    const added: number[] = [];
    const ordered = [...moved].sort((a, b) => b.quality - a.quality);
    for (const s of ordered) {
      const vector = vectors.get(s.id);
      if (!vector) continue;
      const forced = isNew && reps.length === 0;
      const dec = forced ? { add: true as const } : chooseRepresentative(reps, { quality: s.quality, vector }, policy);
      if (!dec.add) continue;
      const jpeg = await crops.get("sightings", s.id);
      if (!jpeg) continue;
      const face = {
        id: this.d.ids.nextFaceId(),
        personId: person.id,
        source: "sighting" as const,
        cameraId: cameraKey(s.agentId, s.cameraId),
        quality: s.quality,
        sightingId: s.id,
        createdAt: s.capturedAt,
      };
      await crops.put("faces", face.id, jpeg);
      await store.persons.insertFace({ ...face, embedding: vector });
      gallery.addFace(face, vector);
      if (dec.replace !== undefined) {
        await store.persons.deleteFaces([dec.replace]);
        gallery.removeFace(dec.replace);
        await crops.delete("faces", [dec.replace]);
        reps.splice(
          reps.findIndex((x) => x.id === dec.replace),
          1,
        );
      }
      reps.push({ id: face.id, quality: face.quality, source: "sighting", vector });
      added.push(face.id);
    }
    return added;
  }

  private announce(r: MoveResult): void {
    const { bus } = this.d;
    if (r.person) bus.emit("person", { action: "updated", personId: r.person.id, person: r.person });
    for (const p of r.from) bus.emit("person", { action: "updated", personId: p.id, person: p });
    for (const s of r.sightings) {
      const person = s.personId === r.person?.id ? r.person : null;
      bus.emit("sighting", { sighting: s, person, isNew: false });
    }
  }

  /** Selected sightings of a person become a new person (named, or "Unknown #N"). */
  async split(
    personId: string,
    ids: string[],
    o: { name?: string; list?: ListName | null },
    actor: Actor,
  ): Promise<MoveResult> {
    const before = await this.d.personService.get(personId);
    const unique = [...new Set(ids)];
    for (const id of unique) {
      const s = await this.d.store.sightings.get(id);
      if (!s) throw notFound("sighting", id);
      if (s.personId !== personId) throw invalidArgument("sightingIds", `sighting ${id} is not ${before.name}'s`);
    }
    const r = await this.move(unique, { kind: "new", name: o.name, list: o.list }, actor, "sighting.move");
    await this.d.audit.record({
      actor,
      action: "person.split",
      targetType: "person",
      targetId: personId,
      before: { ...personState(before), sightingIds: unique },
      after: { from: personState(r.from.find((p) => p.id === personId) ?? null), into: personState(r.person) },
    });
    return r;
  }

  /** Deletes a person (crops included): the history index, exclusions and open proposals follow. Audited. */
  async deletePerson(id: string, actor: Actor): Promise<void> {
    const before = await this.d.personService.get(id);
    const removed = await this.d.personService.delete(id);
    this.d.history.removeSightings(removed.sightingIds);
    await this.d.exclusions.movePerson(id, null);
    await this.d.store.proposals.dropOpenNaming(id);
    for (const s of removed.sightingIds) await this.d.store.proposals.dropOpenNaming(s);
    await this.d.audit.record({
      actor,
      action: "person.delete",
      targetType: "person",
      targetId: id,
      before: { ...personState(before), sightings: removed.sightingIds.length, faces: removed.faceIds.length },
      after: null,
    });
  }

  /**
   * Merges `fromId` into `intoId`: exclusions and person mutes move (a muted person stays muted under
   * the name it is merged into), open proposals naming `fromId` go. Audited.
   */
  async merge(intoId: string, fromId: string, actor: Actor, action = "person.merge"): Promise<Person> {
    const [into, from] = await Promise.all([this.d.store.persons.get(intoId), this.d.store.persons.get(fromId)]);
    const merged = await this.d.personService.merge(intoId, fromId);
    await this.d.exclusions.movePerson(fromId, intoId);
    for (const m of await this.d.store.mutes.retargetPerson(fromId, intoId)) this.d.mutes.set(m);
    await this.d.store.proposals.dropOpenNaming(fromId);
    await this.d.audit.record({
      actor,
      action,
      targetType: "person",
      targetId: intoId,
      before: { into: personState(into), from: personState(from) },
      after: personState(merged),
    });
    return merged;
  }
}
