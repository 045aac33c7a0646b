/**
 * "Not X": an operator said a track is not person X; a later event of the same track (agent, camera,
 * track id) must not be linked to X again. The decisions live in store.exclusions; this cache answers
 * the identification rules without a store round trip per event.
 *
 * Coordination with the identification rules: the planner asks `excludedFor(trackKeyOf(event))` before
 * identifying a face, and passes the set as the face's `excluded` to identify() (identification.ts), which
 * then neither keeps the track's link to an excluded person nor matches one.
 */
import type { Exclusion } from "../domain/types.ts";
import type { Store } from "../store/types.ts";

/** The key of a track: `agent/camera/track` (the store's exclusions are keyed by it). */
export const trackKeyOf = (t: { agentId: string; cameraId: string; trackId: string }): string =>
  `${t.agentId}/${t.cameraId}/${t.trackId}`;

const EMPTY: ReadonlySet<string> = new Set();

export class Exclusions {
  private readonly cache = new Map<string, ReadonlySet<string>>();
  constructor(
    private readonly store: Store,
    private readonly max = 10_000,
  ) {}

  /** The persons this track must not be linked to (cached; kept current by add() and forget()). */
  excludedFor = async (trackKey: string): Promise<ReadonlySet<string>> => {
    const hit = this.cache.get(trackKey);
    if (hit) return hit;
    const persons = await this.store.exclusions.personsFor(trackKey);
    const set = persons.length ? new Set(persons) : EMPTY;
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(trackKey, set);
    return set;
  };

  async add(e: Exclusion): Promise<void> {
    await this.store.exclusions.add(e);
    const cur = this.cache.get(e.trackKey);
    this.cache.set(e.trackKey, new Set([...(cur ?? []), e.personId]));
  }

  /** A person merged into another or deleted: the store moved or dropped theirs; the cache starts over. */
  async movePerson(fromId: string, intoId: string | null): Promise<void> {
    await this.store.exclusions.movePerson(fromId, intoId);
    this.cache.clear();
  }
}
