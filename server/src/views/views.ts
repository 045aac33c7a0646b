/**
 * From stored records to the wire shapes of the shared contract (shared/src/api/responses.ts): the
 * API, the event stream, MQTT alerts and webhooks all send these. Each view is typed by its schema,
 * so a field the contract does not know, or one it is missing, fails the type-check here.
 */
import { redactUrl } from "@argus/shared";
import type * as C from "@argus/shared/api/index";
import type { z } from "zod";
import {
  type Agent,
  type Alert,
  type Camera,
  cameraKey,
  type DeadLetter,
  type Delivery,
  type Face,
  type Mute,
  type Person,
  type Sighting,
  type Token,
  type User,
  type Webhook,
} from "../domain/types.ts";

type Wire<S extends z.ZodType> = z.input<S>;

function iso(ms: number): string;
function iso(ms: number | null | undefined): string | null;
function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

type Status = Wire<typeof C.CameraSchema>["status"];
/** Stored statuses were checked to carry a string `state` when they arrived (ingest/status.ts). */
const statusOf = (v: Record<string, unknown> | null): Status =>
  v && typeof v.state === "string" ? (v as NonNullable<Status>) : null;
const API = "/api/v1";

/**
 * `firstSeenAt`: the capture time of the person's earliest sighting (store.persons.firstSeen; null:
 * never seen). Left out (undefined) where it was not computed: the event stream's person events.
 */
export function personView(p: Person, firstSeenAt?: number | null): Wire<typeof C.PersonSchema> {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    list: p.list,
    meta: p.meta,
    autoNumber: p.autoNumber,
    camera: p.cameraId,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    lastSeenAt: iso(p.lastSeenAt),
    ...(firstSeenAt !== undefined ? { firstSeenAt: iso(firstSeenAt) } : {}),
    sightingCount: p.sightingCount,
  };
}

export function personBrief(p: Person | null | undefined): Wire<typeof C.PersonBriefSchema> | null {
  return p ? { id: p.id, name: p.name, kind: p.kind, list: p.list } : null;
}

export function sightingView(s: Sighting, person?: Person | null): Wire<typeof C.SightingSchema> {
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
    contextBox: s.hasContext ? s.contextBox : null,
    grade: s.grade,
    unlinkedReason: s.unlinkedReason,
    clockSkewed: s.clockSkewed,
  };
}

export function alertView(a: Alert, person?: Person | null, sighting?: Sighting): Wire<typeof C.AlertSchema> {
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
    grade: a.grade,
    createdAt: iso(a.createdAt),
    ackedAt: iso(a.ackedAt),
    ackedBy: a.ackedBy,
    ackNote: a.ackNote ?? null,
    muted: !!a.mutedBy,
    mutedBy: a.mutedBy ?? null,
    faceUrl: `${API}/sightings/${a.sightingId}/face`,
    ...(sighting ? { sighting: sightingView(sighting) } : {}),
  };
}

export function faceView(f: Face): Wire<typeof C.FaceSchema> {
  return {
    id: f.id,
    personId: f.personId,
    source: f.source,
    camera: f.cameraId,
    quality: f.quality,
    sightingId: f.sightingId,
    createdAt: iso(f.createdAt),
    imageUrl: `${API}/faces/${f.id}/image`,
  };
}

export function cameraView(c: Camera, ratePerMinute?: number): Wire<typeof C.CameraSchema> {
  return {
    agentId: c.agentId,
    id: c.id,
    key: cameraKey(c.agentId, c.id),
    name: c.name ?? c.configName,
    configName: c.configName,
    sensitive: c.sensitive,
    status: statusOf(c.status),
    statusAt: iso(c.statusAt),
    stateSince: iso(c.stateSince),
    lastEventAt: iso(c.lastEventAt),
    eventCount: c.eventCount,
    ...(ratePerMinute !== undefined ? { eventsPerMinute: ratePerMinute } : {}),
    snapshotAt: iso(c.snapshotAt),
    snapshotUrl:
      c.snapshotAt === null
        ? null
        : `${API}/cameras/${encodeURIComponent(c.agentId)}/${encodeURIComponent(c.id)}/snapshot?v=${c.snapshotAt.toString(36)}`,
  };
}

export function agentView(a: Agent, online?: boolean): Wire<typeof C.AgentSchema> {
  return {
    id: a.id,
    createdAt: iso(a.createdAt),
    status: statusOf(a.status),
    statusAt: iso(a.statusAt),
    lastSeenAt: iso(a.lastSeenAt),
    ...(online !== undefined ? { online } : {}),
  };
}

export function tokenView(t: Token): Wire<typeof C.TokenSchema> {
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
export function userView(u: User): Wire<typeof C.UserSchema> {
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

/** The URL's password (basic auth to the receiver) is never shown again. */
export function webhookView(w: Webhook): Wire<typeof C.WebhookSchema> {
  return { id: w.id, url: redactUrl(w.url), events: w.events, enabled: w.enabled, createdAt: iso(w.createdAt) };
}

export function deliveryView(d: Delivery): Wire<typeof C.DeliverySchema> {
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

export function deadLetterView(d: DeadLetter): Wire<typeof C.DeadLetterSchema> {
  return {
    id: d.id,
    receivedAt: iso(d.receivedAt),
    topic: d.topic,
    error: d.error,
    size: d.size,
    payloadPreview: d.payload.subarray(0, 512).toString("utf8"),
  };
}

export function muteView(m: Mute, now = Date.now()): Wire<typeof C.MuteSchema> {
  return {
    id: m.id,
    target: m.targetKind,
    camera: m.targetKind === "camera" ? m.targetId : null,
    personId: m.targetKind === "person" ? m.targetId : null,
    includeFoe: m.includeFoe,
    until: iso(m.until),
    reason: m.reason,
    createdAt: iso(m.createdAt),
    createdBy: m.createdBy,
    active: m.until > now,
  };
}
