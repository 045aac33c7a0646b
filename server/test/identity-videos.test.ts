/**
 * Identities from real videos, end to end: the real agent (startAgent, file sources from
 * ../shared/data/video, `fast`) publishes through the server's broker (embedded defaults: SQLite,
 * in-process MQTT) and the server decides who is who. The hand-made labels of the identity benchmark
 * (bench/identity/labels.ts) say which events are faces of whom and which are false detections.
 *
 * - The station video (a crowd, a jacket and a background detection among the faces) founds no
 *   automatic person from a false detection, and none of its false detections is linked to anybody.
 * - The two talking-head videos of one person (talking-head-3.mp4, talking-head-aoc-mpeg4.mp4) yield
 *   one automatic person holding every sighting of her, and nothing else.
 *
 * Both hold with events of today's agent (no face check, no template, no track evidence: the second
 * talking head recurs with the first, a candidate, and founds her person with it) and are meant to
 * hold with the agent's new fields (the face check refuses false detections; long tracks found at
 * once; the template identifies the second video).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPerson, Labels, NON_FACE } from "../../bench/identity/labels.ts";
import { playThroughAgent } from "../../bench/identity/play.ts";
import { FacePool } from "../../shared/src/face/pool.ts";
import { createLogger, type FaceEvent } from "../../shared/src/index.ts";
import { startServer } from "../src/index.ts";
import { derivedId } from "../src/util/ids.ts";
import { apiClient, DATA_DIR, type Json, NO_DATA_MESSAGE, type RunningServer, tempDir } from "./helpers.ts";

const VIDEO_DIR = join(DATA_DIR, "video");
const HAVE_VIDEOS = existsSync(join(VIDEO_DIR, "station-crowd-1080p.mp4"));
if (!HAVE_VIDEOS) console.log(`identity-videos: ${NO_DATA_MESSAGE}`);

const labels = Labels.load();
const quiet = createLogger("test", "warn");

describe.skipIf(!HAVE_VIDEOS)("identities from real videos (agent -> broker -> server)", () => {
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let pool: FacePool;
  let creds: Awaited<ReturnType<RunningServer["ensureAgent"]>>;
  const work = tempDir("argus-identity-videos-");

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: join(work, "data"),
        http: { host: "127.0.0.1", port: 0 },
        mqtt: { host: "127.0.0.1", port: 0 },
        log: { level: "warn" },
      },
      log: quiet,
    });
    api = apiClient(server, server.adminToken);
    creds = await server.ensureAgent("video-agent");
    pool = await FacePool.create({ intraOpThreads: 1 });
  });
  afterAll(async () => {
    await pool?.close();
    await server?.stop();
  });

  /** Runs the agent on one video (camera id = its label camera) until every event is acknowledged; returns its events. */
  async function play(camera: string, file: string): Promise<FaceEvent[]> {
    const r = await playThroughAgent({ work, camera, file: join(VIDEO_DIR, file), creds, pool, logger: quiet });
    expect(r.exitCode).toBe(0);
    return r.events;
  }

  async function sightingsOf(camera: string): Promise<Json[]> {
    const r = await api("GET", `/api/v1/sightings?cameraId=${creds.id}/${camera}&limit=500`);
    expect(r.status).toBe(200);
    return r.body.items;
  }

  /** The label of a sighting: of its stored best shot's event (the one of its track with its box). */
  const labelOf = (video: string, events: FaceEvent[], s: Json) => {
    const e = events.find((x) => x.trackId === s.trackId && x.box.every((v, i) => v === s.box[i]));
    return e ? labels.match(video, e.streamTimeMs, e.box) : null;
  };

  it("the station video founds no person from a false detection, and links none to anybody", async () => {
    const video = "station-crowd-1080p.mp4";
    const events = await play("station", video);
    expect(events.length).toBeGreaterThan(5);
    const sightings = await sightingsOf("station");
    expect(sightings.length).toBeGreaterThan(5);
    const persons = (await api("GET", "/api/v1/persons?kind=auto&limit=500")).body.items as Json[];
    // Who founded each automatic person: the event its id derives from.
    for (const p of persons) {
      const founder = events.find((e) => derivedId(e.eventId, "person") === p.id);
      if (!founder) continue; // founded by another video's event
      const m = labels.match(video, founder.streamTimeMs, founder.box);
      expect(m?.label, `${p.name} founded by ${m?.id ?? "an unlabelled event"}`).not.toBe(NON_FACE);
    }
    for (const s of sightings) {
      const m = labelOf(video, events, s);
      if (m?.label === NON_FACE) expect(s.personId, `${m.id} linked to ${s.person?.name}`).toBeNull();
    }
    // Every sighting has a person or says why not.
    for (const s of sightings)
      if (!s.personId) expect(s.unlinkedReason).toMatch(/^(candidate|low_quality|not_a_face:.+)$/);
  });

  it("the two talking-head videos of one person yield one automatic person", async () => {
    const a = await play("talking-head-3", "talking-head-3.mp4");
    const b = await play("talking-head-aoc", "talking-head-aoc-mpeg4.mp4");
    const hers: Json[] = [];
    for (const [camera, video, events] of [
      ["talking-head-3", "talking-head-3.mp4", a],
      ["talking-head-aoc", "talking-head-aoc-mpeg4.mp4", b],
    ] as const) {
      for (const s of await sightingsOf(camera)) if (labelOf(video, events, s)?.label === "woman-flag") hers.push(s);
    }
    expect(hers.length).toBeGreaterThanOrEqual(2);
    expect(new Set(hers.map((s) => s.cameraId))).toEqual(new Set(["talking-head-3", "talking-head-aoc"]));
    const ids = new Set(hers.map((s) => s.personId));
    expect([...ids], "her sightings' persons").toHaveLength(1);
    const [id] = ids;
    expect(id).not.toBeNull();
    const person = (await api("GET", `/api/v1/persons/${id}`)).body;
    expect(person).toMatchObject({ kind: "auto", sightingCount: hers.length });
    // Her person holds nothing else (no other labelled person, no false detection).
    const all = (await api("GET", `/api/v1/persons/${id}/sightings?limit=500`)).body.items as Json[];
    expect(all.map((s) => s.id).sort()).toEqual(hers.map((s) => s.id).sort());
    // Linked sightings carry a grade, except the one that founded her.
    expect(all.filter((s) => s.grade === null && s.similarity === null)).toHaveLength(1);
    expect(isPerson("woman-flag")).toBe(true);
  });
});
