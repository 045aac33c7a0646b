/**
 * What `firstSeenAt` (the earliest sighting of a person) costs when it is computed at read time
 * (store.persons.firstSeen: one MIN per person on the index sightings_person(person_id, captured_at))
 * instead of kept in a column, on SQLite:
 *   - GET /persons pages of 50 (the list the console shows), sorted by creation and by sightings, with
 *     and without the computation;
 *   - the detail view of the person with the most sightings;
 *   - the rejected alternatives: one GROUP BY over the page's ids (reads every sighting of those
 *     persons), and a correlated subquery in the list's SELECT.
 * Synthetic data: P persons and S sightings, a few persons with very many sightings (a long-time
 * regular), most with a handful (Zipf-like).
 *
 *   pnpm exec tsx bench/server-first-seen.ts [--persons 100000] [--sightings 1000000] [--rounds 200]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Person, Sighting } from "../server/src/domain/types.ts";
import { SqliteStore } from "../server/src/store/sqlite/index.ts";
import { emptyBatch } from "../server/src/store/types.ts";

const { values } = parseArgs({
  options: {
    persons: { type: "string", default: "100000" },
    sightings: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "200" },
  },
});
const P = Number(values.persons);
const S = Number(values.sightings);
const ROUNDS = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), "argus-first-seen-"));
const store = new SqliteStore(join(dir, "argus.db"));
await store.init();

let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const T0 = Date.UTC(2025, 0, 1);
const ids = Array.from({ length: P }, (_, i) => `p${String(i).padStart(7, "0")}`);
const persons: Person[] = ids.map((id, i) => ({
  id,
  name: `Unknown #${i}`,
  kind: "auto",
  list: null,
  meta: {},
  autoNumber: i,
  cameraId: "a/c",
  createdAt: T0 + i * 1000,
  updatedAt: T0,
  lastSeenAt: null,
  sightingCount: 0,
}));
const t0 = performance.now();
await store.commitBatch({ ...emptyBatch(), newPersons: persons });
const counts = new Map<string, number>();
const CHUNK = 50_000;
for (let done = 0; done < S; done += CHUNK) {
  const batch: Sighting[] = [];
  for (let k = 0; k < Math.min(CHUNK, S - done); k++) {
    // Zipf-like: person index ~ P * u^3 (the first persons are seen very often)
    const pid = ids[Math.min(P - 1, Math.floor(P * rand() ** 3))];
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
    const at = T0 + Math.floor(rand() * 365 * 86_400_000);
    batch.push({
      id: `s${done + k}`,
      personId: pid,
      cameraId: "c",
      agentId: "a",
      trackId: `t${done + k}`,
      capturedAt: at,
      lastSeenAt: at,
      day: 20250101,
      similarity: 0.7,
      quality: 0.6,
      box: [1, 2, 30, 40],
      frame: { width: 640, height: 480 },
      verdict: "none",
      eventId: `e${done + k}`,
      shots: 1,
      hasContext: false,
      attributes: null,
      createdAt: at,
      clockSkewed: false,
      grade: null,
      unlinkedReason: null,
      indexId: null,
      contextBox: null,
    });
  }
  await store.commitBatch({ ...emptyBatch(), newSightings: batch });
}
for (const [id, n] of counts) store.db.prepare("UPDATE persons SET sighting_count = ? WHERE id = ?").run(n, id);
const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
console.log(
  `${P} persons, ${S} sightings (built in ${((performance.now() - t0) / 1000).toFixed(1)} s); most seen: ${top[1]} sightings`,
);

/** Median and p95 of `f` over the rounds, ms. */
async function time(f: () => Promise<unknown> | unknown): Promise<string> {
  const t: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return `median ${t[Math.floor(t.length / 2)].toFixed(3)} ms, p95 ${t[Math.floor(t.length * 0.95)].toFixed(3)} ms`;
}

const randomPage = () => Array.from({ length: 50 }, () => ids[Math.floor(rand() * P)]);
const busiest = (await store.persons.list({ sort: "sightings" }, undefined, 50)).items.map((p) => p.id);
const row = (what: string, r: string) => console.log(`${what.padEnd(62)} ${r}`);

row("list page of 50 (created), no firstSeen", await time(() => store.persons.list({}, undefined, 50)));
row(
  "list page of 50 (created) + firstSeen",
  await time(async () => {
    const p = await store.persons.list({}, undefined, 50);
    return store.persons.firstSeen(p.items.map((x) => x.id));
  }),
);
row("firstSeen of 50 random persons", await time(() => store.persons.firstSeen(randomPage())));
row("firstSeen of the 50 most seen persons", await time(() => store.persons.firstSeen(busiest)));
row("firstSeen of the most seen person (detail view)", await time(() => store.persons.firstSeen([top[0]])));
const groupBy = (page: string[]) =>
  store.db
    .prepare(
      `SELECT person_id, MIN(captured_at) FROM sightings WHERE person_id IN (${page.map(() => "?").join(",")}) GROUP BY person_id`,
    )
    .all(...page);
row("rejected: GROUP BY over the 50 most seen", await time(() => groupBy(busiest)));
row(
  "same: a correlated subquery in the list's SELECT (created)",
  await time(() =>
    store.db
      .prepare(
        `SELECT p.*, (SELECT MIN(captured_at) FROM sightings s WHERE s.person_id = p.id) AS first_seen_at
         FROM persons p ORDER BY created_at DESC, id DESC LIMIT 51`,
      )
      .all(),
  ),
);
row(
  "list page of 50 (most seen first) + firstSeen",
  await time(async () => {
    const p = await store.persons.list({ sort: "sightings" }, undefined, 50);
    return store.persons.firstSeen(p.items.map((x) => x.id));
  }),
);
await store.close();
rmSync(dir, { recursive: true, force: true });
