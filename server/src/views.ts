/** JSON shapes of the API, SSE stream, MQTT alerts and webhooks (one definition, ISO times). */
import type {
  Agent,
  Alert,
  Camera,
  DeadLetter,
  Delivery,
  Face,
  Person,
  Sighting,
  Token,
  User,
  Webhook,
} from "./domain/types.ts";

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const API = "/api/v1";

export function personView(p: Person, extra: { regularAt?: string[] } = {}) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    list: p.list,
    meta: p.meta,
    autoNumber: p.autoNumber,
    cameraId: p.cameraId,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    lastSeenAt: iso(p.lastSeenAt),
    sightingCount: p.sightingCount,
    ...extra,
  };
}

export function personBrief(p: Person | null | undefined) {
  return p ? { id: p.id, name: p.name, kind: p.kind, list: p.list } : null;
}

export function sightingView(s: Sighting, person?: Person | null) {
  return {
    id: s.id,
    personId: s.personId,
    ...(person !== undefined ? { person: personBrief(person) } : {}),
    cameraId: s.cameraId,
    agentId: s.agentId,
    trackId: s.trackId,
    capturedAt: iso(s.capturedAt),
    lastSeenAt: iso(s.lastSeenAt),
    similarity: s.similarity,
    quality: s.quality,
    box: s.box,
    frame: s.frame,
    verdict: s.verdict,
    shots: s.shots,
    attributes: s.attributes,
    faceUrl: `${API}/sightings/${s.id}/face`,
    contextUrl: s.hasContext ? `${API}/sightings/${s.id}/context` : null,
  };
}

export function alertView(a: Alert, person?: Person | null, sighting?: Sighting) {
  return {
    id: a.id,
    type: a.type,
    personId: a.personId,
    ...(person !== undefined ? { person: personBrief(person) } : {}),
    sightingId: a.sightingId,
    cameraId: a.cameraId,
    agentId: a.agentId,
    capturedAt: iso(a.capturedAt),
    similarity: a.similarity,
    createdAt: iso(a.createdAt),
    ackedAt: iso(a.ackedAt),
    ackedBy: a.ackedBy,
    faceUrl: `${API}/sightings/${a.sightingId}/face`,
    ...(sighting ? { sighting: sightingView(sighting) } : {}),
  };
}

export function faceView(f: Face) {
  return {
    id: f.id,
    personId: f.personId,
    source: f.source,
    cameraId: f.cameraId,
    quality: f.quality,
    sightingId: f.sightingId,
    createdAt: iso(f.createdAt),
    imageUrl: `${API}/faces/${f.id}/image`,
  };
}

export function cameraView(c: Camera, ratePerMinute?: number) {
  return {
    id: c.id,
    agentId: c.agentId,
    name: c.name,
    sensitive: c.sensitive,
    status: c.status,
    statusAt: iso(c.statusAt),
    lastEventAt: iso(c.lastEventAt),
    eventCount: c.eventCount,
    ...(ratePerMinute !== undefined ? { eventsPerMinute: ratePerMinute } : {}),
  };
}

export function agentView(a: Agent, online?: boolean) {
  return {
    id: a.id,
    createdAt: iso(a.createdAt),
    status: a.status,
    statusAt: iso(a.statusAt),
    lastSeenAt: iso(a.lastSeenAt),
    ...(online !== undefined ? { online } : {}),
  };
}

export function tokenView(t: Token) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdAt: iso(t.createdAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  };
}

/** A console user: never the password hash. */
export function userView(u: User) {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    disabled: u.disabledAt !== null,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
    lastLoginAt: iso(u.lastLoginAt),
  };
}

export function webhookView(w: Webhook) {
  return { id: w.id, url: w.url, events: w.events, enabled: w.enabled, createdAt: iso(w.createdAt) };
}

export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    alertId: d.alertId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export function deadLetterView(d: DeadLetter) {
  return {
    id: d.id,
    receivedAt: iso(d.receivedAt),
    topic: d.topic,
    error: d.error,
    size: d.size,
    payloadPreview: d.payload.subarray(0, 512).toString("utf8"),
  };
}
