/**
 * Duplicates and clustering: "these look like one person", proposed with a score for an operator to
 * accept (merge / link) or reject. A background job (jobs/), also started from the API.
 *
 *   1. Person to person: every representative face of every automatic person is searched in the
 *      gallery (all scopes); another person whose best face is at or above `personThreshold` is a
 *      `merge_persons` proposal (a, b ordered by id), scored by that best similarity.
 *   2. Unidentified sightings (history index entries without a person) to persons: the best person at
 *      or above `sightingThreshold` is a `link_sightings` proposal (a = the person, b = the sighting),
 *      unless an operator said that track is not that person.
 *   3. Unidentified sightings to each other: their nearest unidentified neighbours in the history index
 *      at or above `sightingThreshold` are `link_sightings` proposals (a, b = the two sighting ids,
 *      ordered): accepting one makes them a new person.
 *
 * The store keeps one proposal per (kind, a, b) whatever its status, so a rejected pair is never
 * proposed again, and an open one is not duplicated. At most `maxProposals` (the best) per run.
 */
import type { Proposal } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import type { Exclusions } from "./exclusions.ts";
import { trackKeyOf } from "./exclusions.ts";
import type { Gallery } from "./gallery.ts";
import type { HistoryIndex } from "./history.ts";
import { candidatesFrom } from "./matcher.ts";

export interface ClusterPolicy {
  personThreshold: number;
  sightingThreshold: number;
  maxProposals: number;
  /** Neighbours fetched per search. */
  k: number;
}

export interface ClusterResult {
  persons: number;
  sightings: number;
  /** Pairs found at or above the thresholds (before the cap). */
  found: number;
  /** New proposals stored (pairs already known, open or decided, are not). */
  proposed: number;
}

/** The event loop gets a turn at least this often. */
const SLICE_MS = 20;
/**
 * Search breadth of the job's history searches: it looks for near duplicates (at or above
 * sightingThreshold), close neighbours a narrow search finds, once per unidentified sighting; an
 * operator's photo search (history.efSearch) is rare and goes wider.
 */
const CLUSTER_EF = 128;

export async function cluster(
  d: { store: Store; gallery: Gallery; history: HistoryIndex; exclusions: Exclusions },
  policy: ClusterPolicy,
  o: { jobId?: string; progress?: (fraction: number, message: string) => Promise<void> | void } = {},
): Promise<ClusterResult> {
  const { store, gallery, history } = d;
  const pairs = new Map<string, Omit<Proposal, "id" | "status" | "createdAt" | "decidedAt" | "decidedBy" | "jobId">>();
  const offer = (kind: Proposal["kind"], x: string, y: string, score: number, ordered = true) => {
    const [a, b] = ordered && x > y ? [y, x] : [x, y];
    const key = `${kind}|${a}|${b}`;
    const cur = pairs.get(key);
    if (!cur || cur.score < score) pairs.set(key, { kind, a, b, score });
  };
  let slice = performance.now();
  const turn = async (fraction: number, message: string) => {
    if (performance.now() - slice < SLICE_MS) return;
    await new Promise((r) => setImmediate(r));
    await o.progress?.(fraction, message);
    slice = performance.now();
  };

  // 1. Automatic persons against everyone.
  const autos = (await store.persons.brief()).filter((p) => p.kind === "auto" && !p.list && gallery.hasPerson(p.id));
  for (const [i, p] of autos.entries()) {
    for (const rep of gallery.reps(p.id)) {
      for (const c of candidatesFrom(gallery.search(rep.vector, policy.k), gallery.personOf, policy.k))
        if (c.personId !== p.id && c.similarity >= policy.personThreshold)
          offer("merge_persons", p.id, c.personId, c.similarity);
    }
    await turn((0.5 * (i + 1)) / Math.max(1, autos.length), `persons ${i + 1} of ${autos.length}`);
  }

  // 2 and 3. Unidentified sightings.
  const unlinked = history.labels().filter((l) => !history.isLinked(l));
  const toPerson: Array<{ sightingId: string; personId: string; score: number }> = [];
  for (const [i, label] of unlinked.entries()) {
    const v = history.vector(label);
    const sid = history.sightingIdOf(label);
    if (!v || !sid) continue;
    const [best] = candidatesFrom(gallery.search(v, policy.k), gallery.personOf, 1);
    if (best && best.similarity >= policy.sightingThreshold)
      toPerson.push({ sightingId: sid, personId: best.personId, score: best.similarity });
    for (const h of history.search(v, { k: policy.k, unlinked: true, ef: CLUSTER_EF }))
      if (h.indexId !== label && h.similarity >= policy.sightingThreshold)
        offer("link_sightings", sid, h.sightingId, h.similarity);
    await turn(
      0.5 + (0.5 * (i + 1)) / Math.max(1, unlinked.length),
      `unidentified sightings ${i + 1} of ${unlinked.length}`,
    );
  }
  // "Not X" holds for proposals too.
  for (const t of toPerson) {
    const s = await store.sightings.get(t.sightingId);
    if (!s || s.personId) continue;
    if ((await d.exclusions.excludedFor(trackKeyOf(s))).has(t.personId)) continue;
    offer("link_sightings", t.personId, t.sightingId, t.score, false);
  }

  const now = Date.now();
  const best = [...pairs.values()].sort((a, b) => b.score - a.score).slice(0, policy.maxProposals);
  const proposed = await store.proposals.offer(
    best.map((p) => ({
      ...p,
      id: crypto.randomUUID(),
      status: "open" as const,
      createdAt: now,
      decidedAt: null,
      decidedBy: null,
      jobId: o.jobId ?? null,
    })),
  );
  await o.progress?.(1, "done");
  return { persons: autos.length, sightings: unlinked.length, found: pairs.size, proposed };
}
