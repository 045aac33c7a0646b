/**
 * Ingestion's rules one by one, without a broker or a store: identification, learning
 * representatives, friend-or-foe, alert planning, track updates and batch planning.
 */
import { describe, expect, it } from "vitest";
import { MuteSet, muteMatches } from "../src/alerts/mutes.ts";
import { planAlerts } from "../src/alerts/plan.ts";
import { alertsFor, Cooldown, verdictOf } from "../src/alerts/rules.ts";
import type { Mute, Sighting, Webhook } from "../src/domain/types.ts";
import { Gallery } from "../src/identify/gallery.ts";
import { identify, learnDecision, type PendingFace } from "../src/identify/identification.ts";
import { DEFAULT_REP_POLICY } from "../src/identify/representatives.ts";
import { normalize } from "../src/identify/vector.ts";
import { BatchPlan, trackUpdate } from "../src/ingest/batch.ts";
import { emptyBatch } from "../src/store/types.ts";
import { tempDir } from "./helpers.ts";

const DIM = 64;
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
function unit(): Float32Array {
  const v = new Float32Array(DIM).map(() => rnd());
  normalize(v);
  return v;
}
/** A unit vector with cosine exactly c to the unit vector v. */
function near(v: Float32Array, c: number): Float32Array {
  const n = unit();
  let d = 0;
  for (let i = 0; i < DIM; i++) d += n[i] * v[i];
  const o = n.map((x, i) => x - d * v[i]); // orthogonal to v
  normalize(o);
  return v.map((x, i) => x * c + o[i] * Math.sqrt(1 - c * c));
}

function gallery(mode: "global" | "camera" = "global"): Gallery {
  return new Gallery({
    dim: DIM,
    mode,
    hnsw: { m: 8, efConstruction: 64, efSearch: 64, initialCapacity: 16 },
    model: "test",
    snapshotDir: tempDir(),
  });
}

const policy = { threshold: 0.45, minQualityNewPerson: 0.3, k: 10, matching: "global" as const };

describe("identification", () => {
  const g = gallery();
  const penny = unit();
  g.upsertPerson({ id: "penny", kind: "enrolled", list: "foe", cameraId: null });
  g.addFace({ id: 1, personId: "penny", quality: 0.9, source: "enrol", cameraId: null }, penny);

  it("matches the best person at or above the threshold, with the face that matched", () => {
    const id = identify({ vector: near(penny, 0.6), quality: 0.8, cameraId: "c", trackPersonId: null }, g, [], policy);
    expect(id).toMatchObject({ kind: "match", personId: "penny", nearest: { id: 1 } });
    if (id.kind === "match") expect(id.similarity).toBeCloseTo(0.6, 3);
  });

  it("founds a new person only for a good enough face; a poor one stays unidentified", () => {
    const stranger = near(penny, 0.2);
    expect(identify({ vector: stranger, quality: 0.8, cameraId: "c", trackPersonId: null }, g, [], policy).kind).toBe(
      "new",
    );
    expect(identify({ vector: stranger, quality: 0.2, cameraId: "c", trackPersonId: null }, g, [], policy).kind).toBe(
      "unidentified",
    );
  });

  it("a track keeps its person, with the similarity to the person's faces", () => {
    const id = identify(
      { vector: near(penny, 0.3), quality: 0.8, cameraId: "c", trackPersonId: "penny" },
      g,
      [],
      policy,
    );
    expect(id.kind).toBe("track");
    if (id.kind === "track") expect(id.similarity).toBeCloseTo(0.3, 3);
  });

  it("sees faces learned earlier in the same batch, within their camera scope", () => {
    const v = unit();
    const pending: PendingFace[] = [{ id: 99, personId: "auto-1", quality: 0.7, vector: v, scopeCamera: "door" }];
    const f = { vector: near(v, 0.8), quality: 0.7, trackPersonId: null };
    expect(identify({ ...f, cameraId: "door" }, g, pending, policy)).toMatchObject({
      kind: "match",
      personId: "auto-1",
    });
    // 'camera' matching: an automatic person founded at the door is not searched at the lobby.
    const cam = { ...policy, matching: "camera" as const };
    expect(identify({ ...f, cameraId: "lobby" }, gallery("camera"), pending, cam).kind).toBe("new");
    expect(identify({ ...f, cameraId: "lobby" }, g, pending, policy)).toMatchObject({ personId: "auto-1" });
  });

  it("learns a founding face always; a later one only when confident, useful and first in its batch", () => {
    const o = { threshold: 0.45, policy: DEFAULT_REP_POLICY, touchedInBatch: false };
    const face = (c: number) => ({ quality: 0.8, vector: near(penny, c) });
    expect(learnDecision({ kind: "new" }, face(0), g, [], o)).toEqual({ add: true });
    expect(learnDecision({ kind: "unidentified" }, face(0), g, [], o).add).toBe(false);
    const match = (c: number) => ({
      kind: "match" as const,
      personId: "penny",
      similarity: c,
      nearest: { id: 1, similarity: c },
    });
    expect(learnDecision(match(0.7), face(0.7), g, [], o)).toEqual({ add: true });
    expect(learnDecision(match(0.4), face(0.4), g, [], o)).toMatchObject({ add: false, reason: "not confident" });
    expect(learnDecision(match(0.95), face(0.95), g, [], o)).toMatchObject({ add: false, reason: "near duplicate" });
    expect(learnDecision(match(0.7), face(0.7), g, [], { ...o, touchedInBatch: true }).add).toBe(false);
    expect(learnDecision(match(0.7), { quality: 0.2, vector: near(penny, 0.7) }, g, [], o)).toMatchObject({
      add: false,
      reason: "low quality",
    });
  });
});

describe("friend or foe, and alerts", () => {
  it("the list decides the verdict; a regular is one without a list", () => {
    expect(verdictOf("foe", true)).toBe("foe");
    expect(verdictOf("friend", false)).toBe("friend");
    expect(verdictOf(null, true)).toBe("regular");
    expect(verdictOf(undefined, false)).toBe("none");
  });

  it("a foe alerts anywhere; an unknown only at a sensitive camera, and never an enrolled person", () => {
    const base = { cameraSensitive: false, unknownAtSensitive: true };
    expect(alertsFor({ ...base, verdict: "foe", personKind: "enrolled" })).toEqual(["foe"]);
    expect(alertsFor({ ...base, verdict: "none", personKind: "auto" })).toEqual([]);
    expect(alertsFor({ ...base, cameraSensitive: true, verdict: "none", personKind: "auto" })).toEqual([
      "unknown_at_sensitive_camera",
    ]);
    expect(alertsFor({ ...base, cameraSensitive: true, verdict: "none", personKind: null })).toEqual([
      "unknown_at_sensitive_camera",
    ]);
    expect(alertsFor({ ...base, cameraSensitive: true, verdict: "none", personKind: "enrolled" })).toEqual([]);
    expect(alertsFor({ ...base, cameraSensitive: true, verdict: "regular", personKind: "auto" })).toEqual([]);
    expect(
      alertsFor({ ...base, unknownAtSensitive: false, cameraSensitive: true, verdict: "none", personKind: "auto" }),
    ).toEqual([]);
  });

  const sighting = (over: Partial<Sighting> = {}): Sighting => ({
    id: "s1",
    personId: "p1",
    cameraId: "door",
    agentId: "a",
    trackId: "t1",
    capturedAt: 1_000_000,
    lastSeenAt: 1_000_000,
    day: 20261130,
    similarity: 0.7,
    quality: 0.8,
    box: [0, 0, 10, 10],
    frame: { width: 100, height: 100 },
    verdict: "foe",
    eventId: "e1",
    shots: 1,
    hasContext: false,
    attributes: null,
    createdAt: 1_000_100,
    clockSkewed: false,
    grade: null,
    unlinkedReason: null,
    indexId: null,
    ...over,
  });
  const hook = (id: string, over: Partial<Webhook> = {}): Webhook => ({
    id,
    url: "http://example.test/",
    secret: "x".repeat(32),
    events: [],
    enabled: true,
    createdAt: 0,
    ...over,
  });

  it("plans an alert with a delivery per enabled webhook that takes its type", () => {
    const hooks = [
      hook("all"),
      hook("off", { enabled: false }),
      hook("unknown-only", { events: ["unknown_at_sensitive_camera"] }),
    ];
    const r = planAlerts(sighting(), "enrolled", 5, {
      cameraSensitive: false,
      unknownAtSensitive: true,
      cooldown: new Cooldown(60_000),
      webhooks: hooks,
    });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ type: "foe", personId: "p1", sightingId: "s1", createdAt: 5, ackedAt: null });
    expect(r.deliveries.map((d) => d.webhookId)).toEqual(["all"]);
    expect(r.deliveries[0]).toMatchObject({ alertId: r.alerts[0].id, status: "pending", nextAttemptAt: 5 });
    // The same sighting planned again (a redelivered event) gets the same ids: the store keeps one.
    const again = planAlerts(sighting(), "enrolled", 5, {
      cameraSensitive: false,
      unknownAtSensitive: true,
      cooldown: new Cooldown(60_000),
      webhooks: hooks,
    });
    expect(again.alerts[0].id).toBe(r.alerts[0].id);
  });

  it("one alert per person and camera within the cooldown; a person-less face is keyed by its track", () => {
    const cooldown = new Cooldown(60_000);
    const c = { cameraSensitive: true, unknownAtSensitive: true, cooldown, webhooks: [] };
    expect(planAlerts(sighting(), "enrolled", 0, c).alerts).toHaveLength(1);
    expect(planAlerts(sighting({ id: "s2", capturedAt: 1_030_000 }), "enrolled", 0, c).alerts).toHaveLength(0);
    expect(
      planAlerts(sighting({ id: "s3", cameraId: "lobby", capturedAt: 1_030_000 }), "enrolled", 0, c).alerts,
    ).toHaveLength(1);
    expect(planAlerts(sighting({ id: "s4", capturedAt: 1_070_000 }), "enrolled", 0, c).alerts).toHaveLength(1);
    const noPerson = { personId: null, verdict: "none" as const };
    expect(planAlerts(sighting({ ...noPerson, id: "s5" }), null, 0, c).alerts).toHaveLength(1);
    expect(planAlerts(sighting({ ...noPerson, id: "s6" }), null, 0, c).alerts).toHaveLength(0);
    expect(planAlerts(sighting({ ...noPerson, id: "s7", trackId: "t2" }), null, 0, c).alerts).toHaveLength(1);
  });
  const mute = (over: Partial<Mute> = {}): Mute => ({
    id: "m1",
    targetKind: "camera",
    targetId: "a/door",
    includeFoe: false,
    until: 10_000,
    reason: null,
    createdAt: 0,
    createdBy: "user:op",
    ...over,
  });
  const unknown = { personId: "p9", verdict: "none" as const };

  it("a camera mute stores the alert muted, without deliveries; other cameras and agents are not muted", () => {
    const mutes = new MuteSet([mute()]);
    const c = { cameraSensitive: true, unknownAtSensitive: true, webhooks: [hook("all")], mutes };
    const r = planAlerts(sighting({ ...unknown }), "auto", 5_000, { ...c, cooldown: new Cooldown(60_000) });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ type: "unknown_at_sensitive_camera", mutedBy: "m1", ackedAt: null });
    expect(r.deliveries).toEqual([]);
    // The same camera id at another agent is another camera.
    const other = planAlerts(sighting({ ...unknown, agentId: "b" }), "auto", 5_000, {
      ...c,
      cooldown: new Cooldown(60_000),
    });
    expect(other.alerts[0].mutedBy).toBeNull();
    expect(other.deliveries).toHaveLength(1);
  });

  it("a mute ends at its time (the server's receive time decides, not the agent's clock)", () => {
    const mutes = new MuteSet([mute({ until: 10_000 })]);
    const c = { cameraSensitive: true, unknownAtSensitive: true, webhooks: [hook("all")], mutes };
    const before = planAlerts(sighting({ ...unknown }), "auto", 9_999, { ...c, cooldown: new Cooldown(1) });
    expect(before.alerts[0].mutedBy).toBe("m1");
    const at = planAlerts(sighting({ ...unknown }), "auto", 10_000, { ...c, cooldown: new Cooldown(1) });
    expect(at.alerts[0].mutedBy).toBeNull();
    expect(at.deliveries).toHaveLength(1);
    mutes.prune(10_000);
    expect(mutes.size).toBe(0);
  });

  it("a foe alert is muted only by a mute that includes foes", () => {
    const plain = new MuteSet([mute({ targetKind: "person", targetId: "p1" }), mute({ id: "m2" })]);
    const c = { cameraSensitive: false, unknownAtSensitive: true, webhooks: [hook("all")] };
    const foe = planAlerts(sighting(), "enrolled", 5_000, { ...c, mutes: plain, cooldown: new Cooldown(1) });
    expect(foe.alerts[0]).toMatchObject({ type: "foe", mutedBy: null });
    expect(foe.deliveries).toHaveLength(1);
    const maintenance = new MuteSet([mute({ id: "m3", includeFoe: true })]);
    const muted = planAlerts(sighting(), "enrolled", 5_000, { ...c, mutes: maintenance, cooldown: new Cooldown(1) });
    expect(muted.alerts[0]).toMatchObject({ type: "foe", mutedBy: "m3" });
    expect(muted.deliveries).toEqual([]);
  });

  it("a person mute follows the person at every camera; a face of no person is never person-muted", () => {
    const mutes = new MuteSet([mute({ targetKind: "person", targetId: "p9" })]);
    const c = { cameraSensitive: true, unknownAtSensitive: true, webhooks: [], mutes };
    const lobby = planAlerts(sighting({ ...unknown, cameraId: "lobby" }), "auto", 5_000, {
      ...c,
      cooldown: new Cooldown(1),
    });
    expect(lobby.alerts[0].mutedBy).toBe("m1");
    const nobody = planAlerts(sighting({ personId: null, verdict: "none" }), null, 5_000, {
      ...c,
      cooldown: new Cooldown(1),
    });
    expect(nobody.alerts[0].mutedBy).toBeNull();
    // Removed: alerts announce again at once.
    mutes.delete("m1");
    const after = planAlerts(sighting({ ...unknown, id: "s2" }), "auto", 5_000, { ...c, cooldown: new Cooldown(1) });
    expect(after.alerts[0].mutedBy).toBeNull();
  });

  it("of several matching mutes, the one ending last is named", () => {
    const mutes = new MuteSet([
      mute({ id: "short", until: 6_000 }),
      mute({ id: "long", until: 60_000 }),
      mute({ id: "elsewhere", targetId: "a/lobby", until: 90_000 }),
    ]);
    expect(muteMatches(mute(), { type: "foe", agentId: "a", cameraId: "door", personId: null, at: 0 })).toBe(false);
    expect(
      mutes.match({ type: "unknown_at_sensitive_camera", agentId: "a", cameraId: "door", personId: null, at: 5_000 })
        ?.id,
    ).toBe("long");
  });
});

describe("sightings of a track", () => {
  const track = {
    id: "s1",
    quality: 0.5,
    lastSeenAt: 2000,
    shots: 3,
  } as Sighting;
  const shot = (quality: number) => ({
    quality,
    box: [1, 2, 3, 4] as [number, number, number, number],
    frame: { width: 10, height: 10 },
    eventId: "e9",
    similarity: 0.6,
    hasContext: true,
    attributes: null,
  });

  it("a later shot moves last-seen and the shot count on; only a better one replaces the stored shot", () => {
    const worse = trackUpdate(track, shot(0.4), 3000, "p", "none");
    expect(worse.better).toBe(false);
    expect(worse.set).toEqual({ lastSeenAt: 3000, shots: 4, personId: "p", verdict: "none" });
    const better = trackUpdate(track, shot(0.9), 1500, "p", "foe");
    expect(better.better).toBe(true);
    expect(better.set).toMatchObject({ lastSeenAt: 2000, shots: 4, quality: 0.9, eventId: "e9", verdict: "foe" });
  });

  it("a batch counts each camera's events and keeps its latest time", () => {
    const plan = new BatchPlan(emptyBatch());
    plan.camera("door", "a", 10);
    plan.camera("door", "a", 5);
    plan.camera("lobby", "a", 7);
    plan.personSeen.set("p", 9);
    const b = plan.finish();
    expect(b.cameraEvents).toEqual([
      { cameraId: "door", agentId: "a", at: 10, events: 2 },
      { cameraId: "lobby", agentId: "a", at: 7, events: 1 },
    ]);
    expect(b.personSeen).toEqual([{ id: "p", at: 9 }]);
  });
});
