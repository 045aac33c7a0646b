/**
 * Identity benchmark on the labelled videos (bench/identity/labels.json): does every face the
 * cameras see end up in the right person's history?
 *
 * Each run starts a server on embedded defaults (SQLite, in-process broker) in a temp data dir and
 * runs the agent (in process, `fast`, default camera settings, 5 fps) on the six videos one after
 * the other, publishing to the server's broker, with a file sink beside it so each sighting can be
 * joined with its event (stream time and box) and labelled; a tap on the agent's tracker records
 * every track's detections. `once` resolves after every event is acknowledged, and the embedded
 * broker acknowledges only after the commit, so everything is stored when the agent finishes.
 *
 *   unknowns pass  nobody enrolled: tracks, sightings and automatic "Unknown #N" persons per real
 *                  person, persons mixing real people, persons founded by a non-face
 *   enrolled pass  a fresh server; every labelled person enrolled from one photo (a 250x250
 *                  LFW-style crop around their face in one frame of the videos, via the API):
 *                  sightings linked to the right person, to another one, and false matches
 *
 *   pnpm exec tsx bench/identity-videos.ts [--runs 3] [--phase <n>] [--threshold <identify.threshold>] [--verbose]
 *       [--photos <dir>: save the enrolment photos there, to look at them]
 *
 * --phase pins the agent's full-frame phase (the agent's is a hash of the camera id, fixed from run to run);
 * figures are printed per run and as min-max ranges over the runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { startServer } from "../server/src/index.ts";
import { derivedId } from "../server/src/util/ids.ts";
import { FacePool } from "../shared/src/face/pool.ts";
import { createLogger, type FaceEvent } from "../shared/src/index.ts";
import { isPerson, Labels, NON_FACE, UNSURE } from "./identity/labels.ts";
import { playThroughAgent } from "./identity/play.ts";
import { VIDEOS } from "./identity/videos.ts";
import { installAgentTap } from "./lib/agentTap.ts";
import { requireData } from "./lib/data.ts";
import { readFrames } from "./lib/videoFrames.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    phase: { type: "string" },
    threshold: { type: "string" },
    verbose: { type: "boolean", default: false },
    photos: { type: "string" },
  },
});
const RUNS = Number(values.runs);
const PHASE = values.phase === undefined ? undefined : Number(values.phase);
const videoDir = requireData("video");
const labels = Labels.load();
const quiet = createLogger("bench", "warn");

interface Sighting {
  id: string;
  personId: string | null;
  person?: { id: string; name: string; kind: "auto" | "enrolled" } | null;
  cameraId: string;
  trackId: string;
  quality: number;
  similarity: number | null;
  box: number[];
}
interface Person {
  id: string;
  name: string;
  kind: "auto" | "enrolled";
}

// ------------------------------------------------------------------ enrolment photos

/**
 * One photo per labelled person: from up to 8 of their labelled detections (largest boxes first,
 * distinct frames), a square crop of twice the box height around the face, resized to 250x250 (an
 * LFW-style photo, black where it reaches past the frame); the one in which the server finds
 * exactly one face, in the middle, at the best quality (POST /identify), is enrolled.
 */
async function enrolmentCandidates(): Promise<Map<string, { video: string; t: number; jpeg: Buffer }[]>> {
  const out = new Map<string, { video: string; t: number; jpeg: Buffer }[]>();
  const picks: { label: string; video: string; t: number; box: number[] }[] = [];
  for (const video of labels.videos) {
    for (const e of labels.entries(video)) {
      if (!isPerson(e.label)) continue;
      const byT = new Map<number, number[]>();
      for (const [t, ...box] of [...e.detections].sort((a, b) => b[4] - b[2] - (a[4] - a[2]) || a[0] - b[0]))
        if (!byT.has(t)) byT.set(t, box);
      for (const [t, box] of [...byT].slice(0, 8)) picks.push({ label: e.label, video, t, box });
    }
  }
  for (const video of labels.videos) {
    const [width, height] = labels.file.videos[video].frame;
    const mine = picks.filter((p) => p.video === video);
    const frames = await readFrames(join(videoDir, video), { width, height }, new Set(mine.map((p) => p.t / 200)));
    for (const p of mine) {
      const frame = frames.get(p.t / 200);
      if (!frame) continue;
      const [x1, y1, x2, y2] = p.box;
      const side = Math.round(2 * (y2 - y1));
      const left = Math.round((x1 + x2) / 2 - side / 2);
      const top = Math.round((y1 + y2) / 2 - side / 2);
      // Parts outside the frame are black, as in LFW's crops near the image border.
      const l = Math.max(0, left);
      const tp = Math.max(0, top);
      const w = Math.min(width, left + side) - l;
      const h = Math.min(height, top + side) - tp;
      const jpeg = await sharp(frame, { raw: { width, height, channels: 3 } })
        .extract({ left: l, top: tp, width: w, height: h })
        .extend({ left: l - left, top: tp - top, right: side - w - (l - left), bottom: side - h - (tp - top) })
        .resize(250, 250)
        .jpeg({ quality: 90 })
        .toBuffer();
      out.set(p.label, [...(out.get(p.label) ?? []), { video, t: p.t, jpeg }]);
    }
  }
  return out;
}

// ------------------------------------------------------------------ one pass: server + agent on the six videos

interface PassResult {
  /** label: the person, `non-face` or `unsure` (null: no label matched); entry: the labelled entry (e.g. station/jacket). */
  events: (FaceEvent & { label: string | null; entry: string | null })[];
  /** id, and the earlier track it continues (joined by appearance by the agent). */
  tracks: { camera: string; id: string; continues?: string; label: string | null; mixed: boolean; n: number }[];
  sightings: (Sighting & { label: string | null; entry: string | null; events: number })[];
  persons: Person[];
  /** Enrolled person id -> label (enrolled pass). */
  enrolled: Map<string, string>;
  enrolFailures: string[];
  /** Auto person id -> the event that founded it. */
  founders: Map<
    string,
    { label: string | null; entry: string | null; cameraId: string; t: number; quality: number; check: string }
  >;
  seconds: number;
}

async function pass(pool: FacePool, enrol: Map<string, { video: string; t: number; jpeg: Buffer }[]> | null) {
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), "argus-identity-bench-"));
  const server = await startServer({
    config: {
      dataDir: join(work, "data"),
      http: { host: "127.0.0.1", port: 0 },
      mqtt: { host: "127.0.0.1", port: 0 },
      log: { level: "warn" },
      ...(values.threshold ? { identify: { threshold: Number(values.threshold) } } : {}),
    },
    log: quiet,
  });
  const api = `${server.url}/api/v1`;
  const auth = { authorization: `Bearer ${server.adminToken}` };
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${api}${path}`, { headers: auth });
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const all = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const page: { items: T[]; nextCursor: string | null } = await get(
        `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };

  const enrolled = new Map<string, string>();
  const enrolFailures: string[] = [];
  try {
    if (enrol) {
      for (const [label, cands] of enrol) {
        // The candidate photo with exactly one face, at the best quality (read-only /identify).
        let best: { jpeg: Buffer; q: number } | undefined;
        for (const c of cands) {
          const r = await fetch(`${api}/identify`, {
            method: "POST",
            headers: { ...auth, "content-type": "image/jpeg" },
            body: c.jpeg,
          });
          if (!r.ok) continue;
          const res = (await r.json()) as { faces: { box: number[]; quality: number }[] };
          // Exactly one face (the API's rule for enrolment), and it is the labelled one: centred, about half the photo high.
          const f = res.faces[0];
          const central =
            f &&
            Math.hypot((f.box[0] + f.box[2]) / 2 - 125, (f.box[1] + f.box[3]) / 2 - 125) < 40 &&
            f.box[3] - f.box[1] > 60 &&
            f.box[3] - f.box[1] < 200;
          if (res.faces.length === 1 && central && (!best || f.quality > best.q)) best = { jpeg: c.jpeg, q: f.quality };
        }
        if (!best) {
          enrolFailures.push(label);
          continue;
        }
        if (values.photos) {
          mkdirSync(values.photos, { recursive: true });
          writeFileSync(join(values.photos, `${label.replace(/\//g, "_")}.jpg`), best.jpeg);
        }
        const pr = await fetch(`${api}/persons`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ name: label }),
        });
        const person = (await pr.json()) as Person;
        // Forced: the photos are stills of video, often below the server's enrolment quality floor.
        const fr = await fetch(`${api}/persons/${person.id}/faces?force=true`, {
          method: "POST",
          headers: { ...auth, "content-type": "image/jpeg" },
          body: best.jpeg,
        });
        if (!fr.ok) {
          enrolFailures.push(`${label} (${fr.status})`);
          continue;
        }
        enrolled.set(person.id, label);
      }
    }

    const creds = await server.ensureAgent("bench-agent");
    const tap = installAgentTap({ phase: () => PHASE });
    const events: FaceEvent[] = [];
    try {
      for (const v of VIDEOS) {
        const r = await playThroughAgent({
          work,
          camera: v.camera,
          file: join(videoDir, v.file),
          creds,
          pool,
          logger: quiet,
        });
        if (r.exitCode !== 0) throw new Error(`agent on ${v.file} exited ${r.exitCode}`);
        events.push(...r.events);
      }
    } finally {
      tap.remove();
    }

    // Labels: each event by its shot; each track by the majority of its detections.
    const videoOf = (camera: string) => VIDEOS.find((v) => v.camera === camera)!.file;
    const labelled = events.map((e) => {
      const m = labels.match(videoOf(e.cameraId), e.streamTimeMs, e.box);
      return { ...e, label: m?.label ?? null, entry: m?.id ?? null };
    });
    const tracks = [...tap.tracks].flatMap(([camera, trs]) =>
      trs.map((tr) => {
        const m = labels.matchTrack(
          videoOf(camera),
          tr.dets.map((d) => ({ streamTimeMs: d.t, box: d.box })),
        );
        return { camera, id: tr.id, continues: tr.continues, label: m.label, mixed: m.mixed, n: tr.dets.length };
      }),
    );
    const sightings = (await all<Sighting>("/sightings")).map((s) => {
      const evs = labelled.filter((e) => e.cameraId === s.cameraId && e.trackId === s.trackId);
      const m = labels.matchTrack(
        videoOf(s.cameraId),
        evs.map((e) => ({ streamTimeMs: e.streamTimeMs, box: e.box })),
      );
      return { ...s, label: m.label, entry: m.id, events: evs.length };
    });
    const persons = await all<Person>("/persons");
    const founders: PassResult["founders"] = new Map();
    for (const e of labelled) {
      const id = derivedId(e.eventId, "person");
      if (persons.some((p) => p.id === id))
        founders.set(id, {
          label: e.label,
          entry: e.entry,
          cameraId: e.cameraId,
          t: e.streamTimeMs,
          quality: e.quality.score,
          check: e.faceCheck ? (e.faceCheck.passed ? "passed" : `failed ${e.faceCheck.failed.join(",")}`) : "-",
        });
    }
    return {
      events: labelled,
      tracks,
      sightings,
      persons,
      enrolled,
      enrolFailures,
      founders,
      seconds: (performance.now() - t0) / 1000,
    } satisfies PassResult;
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ figures

interface UnknownFigures {
  /** Per video camera id, and "all". */
  rows: Map<string, Record<string, number>>;
  details: string[];
}

function unknownFigures(r: PassResult): UnknownFigures {
  const rows = new Map<string, Record<string, number>>();
  const details: string[] = [];
  const kindOf = new Map(r.persons.map((p) => [p.id, p.kind]));
  const nameOf = new Map(r.persons.map((p) => [p.id, p.name]));
  const scopes = [...VIDEOS.map((v) => v.camera), "all"];
  for (const scope of scopes) {
    const inScope = <T extends { cameraId?: string; camera?: string }>(x: T) =>
      scope === "all" || (x.cameraId ?? x.camera) === scope;
    const tracks = r.tracks.filter(inScope);
    const sightings = r.sightings.filter(inScope);
    const events = r.events.filter(inScope);
    const people = new Set([...tracks.map((t) => t.label), ...sightings.map((s) => s.label)].filter(isPerson));
    const tracksPer = [...people].map((p) => tracks.filter((t) => t.label === p).length);
    // Visits: a person's tracks, those that continue another of their tracks counted with it.
    const visitsPer = [...people].map((p) => {
      const mine = tracks.filter((t) => t.label === p);
      const ids = new Set(mine.map((t) => t.id));
      return mine.filter((t) => !t.continues || !ids.has(t.continues)).length;
    });
    const sightPer = [...people].map((p) => sightings.filter((s) => s.label === p).length);
    // Automatic persons per real person: over the people with at least one sighting linked to one.
    const autoPer: number[] = [];
    const mainShare: number[] = [];
    for (const p of people) {
      const mine = sightings.filter((s) => s.label === p);
      const autos = new Map<string, number>();
      for (const s of mine)
        if (s.personId && kindOf.get(s.personId) === "auto") autos.set(s.personId, (autos.get(s.personId) ?? 0) + 1);
      if (autos.size > 0) autoPer.push(autos.size);
      if (mine.length > 0) mainShare.push(Math.max(0, ...autos.values()) / mine.length);
      if (scope === "all" && (autos.size > 1 || tracks.filter((t) => t.label === p).length > 1))
        details.push(
          `${p}: ${tracks.filter((t) => t.label === p).length} tracks, ${mine.length} sightings, ${autos.size} automatic persons (${[...autos].map(([id, n]) => `${nameOf.get(id)} x${n}`).join(", ")}), ${mine.filter((s) => !s.personId).length} unidentified`,
        );
    }
    // Persons (automatic or enrolled) holding sightings of two or more real people.
    const labelsOf = new Map<string, Set<string>>();
    for (const s of r.sightings)
      if (s.personId && isPerson(s.label))
        labelsOf.set(s.personId, new Set([...(labelsOf.get(s.personId) ?? []), s.label]));
    const touched = new Set(sightings.map((s) => s.personId).filter((x): x is string => !!x));
    const mixing = [...labelsOf].filter(([id, ls]) => ls.size > 1 && touched.has(id));
    if (scope === "all") for (const [id, ls] of mixing) details.push(`MIXED ${nameOf.get(id)}: ${[...ls].join(" + ")}`);
    const byNonFace = [...r.founders].filter(
      ([, f]) => f.label === NON_FACE && (scope === "all" || f.cameraId === scope),
    );
    if (scope === "all")
      for (const [id, f] of byNonFace) {
        const ss = r.sightings.filter((s) => s.personId === id);
        details.push(
          `NON-FACE FOUNDED ${nameOf.get(id)} by ${f.entry} at ${f.t} ms (q${f.quality.toFixed(2)}, face check ${f.check}); its sightings: ${ss.map((s) => `${s.entry ?? "unlabelled"} q${s.quality.toFixed(2)}${s.similarity === null ? "" : ` sim ${s.similarity.toFixed(2)}`}`).join(", ")}`,
        );
      }
    if (scope === "all")
      for (const s of r.sightings)
        if (s.label === NON_FACE && s.personId && r.founders.get(s.personId)?.label !== NON_FACE) {
          const f = r.founders.get(s.personId);
          details.push(
            `NON-FACE LINKED ${s.entry} (q${s.quality.toFixed(2)}, similarity ${s.similarity?.toFixed(2) ?? "-"}) -> ${nameOf.get(s.personId)}${f ? `, founded by ${f.entry ?? "an unlabelled event"}` : ""}`,
          );
        }
    const unlabelled = events.filter((e) => e.label === null);
    if (scope === "all")
      for (const e of unlabelled)
        details.push(
          `UNLABELLED event ${e.cameraId} ${e.streamTimeMs} ms [${e.box.map(Math.round)}] q${e.quality.score.toFixed(2)}`,
        );
    const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
    rows.set(scope, {
      people: people.size,
      tracks: tracks.length,
      tracksPer: mean(tracksPer),
      tracksMax: Math.max(0, ...tracksPer),
      visitsPer: mean(visitsPer),
      mixedTracks: tracks.filter((t) => t.mixed).length,
      sightings: sightings.length,
      sightPer: mean(sightPer),
      sightMax: Math.max(0, ...sightPer),
      autoPer: mean(autoPer),
      mainShare: mean(mainShare),
      unidentified: sightings.filter((s) => isPerson(s.label) && !s.personId).length,
      mixing: mixing.length,
      nonFaceFounded: byNonFace.length,
      nonFaceLinked: sightings.filter((s) => s.label === NON_FACE && s.personId).length,
      nonFaceSightings: sightings.filter((s) => s.label === NON_FACE).length,
      // The agent's face check (events without one: an agent before it, not counted).
      nonFaceEvents: events.filter((e) => e.label === NON_FACE && e.faceCheck).length,
      nonFacePassing: events.filter((e) => e.label === NON_FACE && e.faceCheck?.passed).length,
      personEvents: events.filter((e) => isPerson(e.label) && e.faceCheck).length,
      personFailing: events.filter((e) => isPerson(e.label) && e.faceCheck && !e.faceCheck.passed).length,
      unsureSightings: sightings.filter((s) => s.label === UNSURE).length,
      events: events.length,
      unlabelled: unlabelled.length,
    });
  }
  return { rows, details };
}

function enrolledFigures(r: PassResult): { rows: Map<string, Record<string, number>>; details: string[] } {
  const rows = new Map<string, Record<string, number>>();
  const details: string[] = [];
  const labelToId = new Map([...r.enrolled].map(([id, l]) => [l, id]));
  for (const scope of [...VIDEOS.map((v) => v.camera), "all"]) {
    const sightings = r.sightings.filter((s) => scope === "all" || s.cameraId === scope);
    const mine = sightings.filter((s) => isPerson(s.label) && labelToId.has(s.label));
    const right = mine.filter((s) => s.personId === labelToId.get(s.label!));
    const other = mine.filter(
      (s) => s.personId && r.enrolled.has(s.personId) && s.personId !== labelToId.get(s.label!),
    );
    const strangers = sightings.filter(
      (s) => s.label !== UNSURE && s.personId && r.enrolled.has(s.personId) && s.label !== r.enrolled.get(s.personId),
    );
    if (scope === "all")
      for (const s of mine.filter((x) => !right.includes(x)))
        details.push(
          `MISSED ${s.entry} (q${s.quality.toFixed(2)}) -> ${s.personId ? `${s.person?.name ?? s.personId} (similarity ${s.similarity?.toFixed(2) ?? "-"})` : "nobody"}`,
        );
    if (scope === "all")
      for (const s of strangers)
        details.push(
          `FALSE MATCH ${s.entry ?? `${s.cameraId} unlabelled`} (q${s.quality.toFixed(2)}, similarity ${s.similarity?.toFixed(2) ?? "-"}) -> ${r.enrolled.get(s.personId!)}`,
        );
    rows.set(scope, {
      sightings: mine.length,
      right: right.length,
      rate: mine.length ? right.length / mine.length : Number.NaN,
      other: other.length,
      autoOrNone: mine.length - right.length - other.length,
      falseMatches: strangers.length,
    });
  }
  if (r.enrolFailures.length)
    details.push(`not enrolled (no photo with exactly one face, centred): ${r.enrolFailures.join(", ")}`);
  return { rows, details };
}

// ------------------------------------------------------------------ main

const pool = await FacePool.create({ intraOpThreads: 1 });
console.log(
  "identity benchmark: six labelled videos, agent default camera settings (5 fps), server on embedded defaults",
);
const t0 = performance.now();
const candidates = await enrolmentCandidates();
const unknownRuns: UnknownFigures[] = [];
const enrolledRuns: ReturnType<typeof enrolledFigures>[] = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const a = await pass(pool, null);
    const u = unknownFigures(a);
    unknownRuns.push(u);
    const b = await pass(pool, candidates);
    const e = enrolledFigures(b);
    enrolledRuns.push(e);
    const all = u.rows.get("all")!;
    const en = e.rows.get("all")!;
    console.log(
      `run ${run}: ${all.events} events, ${all.tracks} tracks; automatic persons per real person ${fmt(all.autoPer, 2)}, mixing ${all.mixing}, founded by a non-face ${all.nonFaceFounded}; enrolled ${b.enrolled.size}: identified ${fmt(100 * en.rate, 1)}%, false matches ${en.falseMatches} (${fmt(a.seconds, 0)} + ${fmt(b.seconds, 0)} s)`,
    );
    if (values.verbose || run === RUNS) {
      for (const d of u.details) console.log(`  unknowns: ${d}`);
      for (const d of e.details) console.log(`  enrolled: ${d}`);
    }
  }
} finally {
  await pool.close();
}

function fmt(v: number, d = 1): string {
  return Number.isFinite(v) ? v.toFixed(d) : "-";
}
/** min-max over the runs (one value when they agree). */
function range(vals: number[], d = 1): string {
  const ok = vals.filter(Number.isFinite);
  if (ok.length === 0) return "-";
  const lo = fmt(Math.min(...ok), d);
  const hi = fmt(Math.max(...ok), d);
  return lo === hi ? lo : `${lo}-${hi}`;
}

const scopes = [...VIDEOS.map((v) => v.camera), "all"];
const table = (head: string[], rows: string[][]) => {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(head.map((h, i) => h.padEnd(w[i])).join(" | "));
  console.log(w.map((n) => "-".repeat(n)).join("-|-"));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | "));
};
const col = (runs: { rows: Map<string, Record<string, number>> }[], scope: string, k: string, d = 0) =>
  range(
    runs.map((r) => r.rows.get(scope)![k]),
    d,
  );

console.log(`\nUnknowns (nobody enrolled), ${RUNS} run(s), min-max:`);
table(
  [
    "video",
    "people",
    "tracks",
    "tracks/person (max)",
    "visits/person",
    "mixed tracks",
    "sightings/person (max)",
    "auto persons/person",
    "in main %",
    "unidentified",
    "mixing",
    "non-face founded",
    "non-face linked",
    "face check: non-face events passing",
    "person events failing",
    "unlabelled events",
  ],
  scopes.map((s) => [
    s,
    col(unknownRuns, s, "people"),
    col(unknownRuns, s, "tracks"),
    `${col(unknownRuns, s, "tracksPer", 1)} (${col(unknownRuns, s, "tracksMax")})`,
    col(unknownRuns, s, "visitsPer", 2),
    col(unknownRuns, s, "mixedTracks"),
    `${col(unknownRuns, s, "sightPer", 1)} (${col(unknownRuns, s, "sightMax")})`,
    col(unknownRuns, s, "autoPer", 2),
    range(
      unknownRuns.map((r) => 100 * r.rows.get(s)!.mainShare),
      0,
    ),
    col(unknownRuns, s, "unidentified"),
    col(unknownRuns, s, "mixing"),
    col(unknownRuns, s, "nonFaceFounded"),
    `${col(unknownRuns, s, "nonFaceLinked")}/${col(unknownRuns, s, "nonFaceSightings")}`,
    `${col(unknownRuns, s, "nonFacePassing")}/${col(unknownRuns, s, "nonFaceEvents")}`,
    `${col(unknownRuns, s, "personFailing")}/${col(unknownRuns, s, "personEvents")}`,
    `${col(unknownRuns, s, "unlabelled")}/${col(unknownRuns, s, "events")}`,
  ]),
);
console.log(`\nEnrolled (every labelled person from one 250x250 photo cut from a frame), ${RUNS} run(s), min-max:`);
table(
  [
    "video",
    "sightings of enrolled",
    "linked to them",
    "identified %",
    "to another enrolled",
    "auto / none",
    "false matches",
  ],
  scopes.map((s) => [
    s,
    col(enrolledRuns, s, "sightings"),
    col(enrolledRuns, s, "right"),
    range(
      enrolledRuns.map((r) => 100 * r.rows.get(s)!.rate),
      1,
    ),
    col(enrolledRuns, s, "other"),
    col(enrolledRuns, s, "autoOrNone"),
    col(enrolledRuns, s, "falseMatches"),
  ]),
);
console.log(
  `\npeople: real people seen (labelled persons with a track or sighting); tracks/person, sightings/person: mean (max);` +
    ` visits/person: tracks/person counting a track that continues another of the person's tracks (track.continues) with it;` +
    ` mixed tracks: tracks whose detections are of two or more labels (a track switching person);` +
    ` face check: events labelled non-face whose faceCheck passed / non-face events, events of real people whose faceCheck failed / their events;` +
    ` auto persons/person: automatic persons their sightings are linked to, over the people linked to at least one (goal <= 1.2);` +
    ` in main %: share of a person's sightings in their most used automatic person; unidentified: sightings of real people linked to nobody;` +
    ` mixing: persons holding sightings of two or more real people (goal 0); non-face founded: automatic persons founded by a false detection (goal 0);` +
    ` non-face linked: non-face sightings linked to a person / all non-face sightings; unlabelled events: events no label matched (label coverage).` +
    ` false matches: sightings of anyone else (another person, a non-face) linked to an enrolled person. ${fmt((performance.now() - t0) / 1000, 0)} s in all.`,
);
