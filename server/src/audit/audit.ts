/**
 * The audit log of operator actions: who (the API's principal, or the server itself), what (an action
 * such as `person.rename`, `sighting.move`, `user.create`), when, on what, and the state before and
 * after. Entries are only ever appended (store.audit); admins read them through GET /api/v1/audit.
 *
 * The states recorded are small and never hold secrets: `personState`, `userState`, `tokenState` below
 * pick what an auditor needs. Recording happens after the action committed; a failure to record is
 * logged (the action is not undone).
 */
import type { Logger } from "@argus/shared";
import type { Actor, Alert, Camera, Face, Mute, Person, Sighting, Token, User } from "../domain/types.ts";
import type { Store } from "../store/types.ts";

export const SERVER_ACTOR: Actor = { kind: "system", id: "server", name: "server" };

export interface AuditRecord {
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly log?: Logger,
  ) {}

  /** Appends one entry; resolves to its id (undefined when it could not be written: logged). */
  async record(r: AuditRecord): Promise<number | undefined> {
    try {
      return await this.store.audit.append({
        at: Date.now(),
        actor: { kind: r.actor.kind, id: r.actor.id, name: r.actor.name },
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        before: r.before ?? null,
        after: r.after ?? null,
      });
    } catch (e) {
      this.log?.error({ err: (e as Error).message, action: r.action, target: r.targetId }, "audit entry not written");
      return undefined;
    }
  }
}

// ------------------------------------------------------------------ what the entries hold

export const personState = (p: Person | undefined | null) =>
  p
    ? {
        id: p.id,
        name: p.name,
        kind: p.kind,
        list: p.list,
        meta: p.meta,
        sightingCount: p.sightingCount,
        lastSeenAt: p.lastSeenAt,
      }
    : null;

export const sightingState = (s: Sighting) => ({
  id: s.id,
  personId: s.personId,
  camera: `${s.agentId}/${s.cameraId}`,
  trackId: s.trackId,
  capturedAt: s.capturedAt,
  similarity: s.similarity,
  grade: s.grade,
  unlinkedReason: s.unlinkedReason,
});

export const faceState = (f: Face) => ({
  id: f.id,
  personId: f.personId,
  source: f.source,
  quality: f.quality,
  sightingId: f.sightingId,
});

/** Never the password hash. */
export const userState = (u: User | undefined | null) =>
  u ? { id: u.id, name: u.name, role: u.role, disabled: u.disabledAt !== null } : null;

/** Never the token or its hash. */
export const tokenState = (t: Token | undefined | null) =>
  t ? { id: t.id, name: t.name, role: t.role, revokedAt: t.revokedAt } : null;

export const cameraState = (c: Camera | undefined | null) =>
  c ? { agentId: c.agentId, id: c.id, name: c.name, sensitive: c.sensitive } : null;

export const alertState = (a: Alert | undefined | null) =>
  a
    ? {
        id: a.id,
        type: a.type,
        personId: a.personId,
        ackedAt: a.ackedAt,
        ackedBy: a.ackedBy,
        ackNote: a.ackNote ?? null,
      }
    : null;
export const muteState = (m: Mute | undefined | null) =>
  m
    ? {
        id: m.id,
        target: m.targetKind,
        targetId: m.targetId,
        includeFoe: m.includeFoe,
        until: m.until,
        reason: m.reason,
      }
    : null;
