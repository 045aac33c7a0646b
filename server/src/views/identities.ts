/** Wire shapes of the identity work (shared/src/api/identities.ts): audit entries, jobs, visits, proposals. */
import type * as C from "@argus/shared/api/index";
import type { z } from "zod";
import type { AuditEntry, Job, Person, Proposal, Sighting } from "../domain/types.ts";
import type { Visit } from "../identify/visits.ts";
import { sightingView } from "./views.ts";

type Wire<S extends z.ZodType> = z.input<S>;
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function auditView(e: AuditEntry): Wire<typeof C.AuditEntrySchema> {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    before: e.before ?? null,
    after: e.after ?? null,
  };
}

export function jobView(j: Job): Wire<typeof C.JobSchema> {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    progress: j.progress,
    message: j.message,
    result: j.result ?? null,
    error: j.error,
    createdAt: new Date(j.createdAt).toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    createdBy: j.createdBy,
  };
}

export function visitView(v: Visit, person: Person | null): Wire<typeof C.VisitSchema> {
  return {
    camera: `${v.agentId}/${v.cameraId}`,
    agentId: v.agentId,
    cameraId: v.cameraId,
    firstSeenAt: new Date(v.firstSeenAt).toISOString(),
    lastSeenAt: new Date(v.lastSeenAt).toISOString(),
    count: v.count,
    best: sightingView(v.best, person),
    sightings: v.sightings.map((s) => sightingView(s, person)),
  };
}

export type ProposalSide = Wire<typeof C.ProposalSideSchema>;

export function proposalSide(
  id: string,
  person: Person | undefined,
  sighting: { s: Sighting; person: Person | null } | undefined,
  faceUrl: (personId: string) => string | null,
): ProposalSide {
  if (person)
    return {
      type: "person",
      id,
      person: {
        id: person.id,
        name: person.name,
        kind: person.kind,
        list: person.list,
        sightingCount: person.sightingCount,
        faceUrl: faceUrl(person.id),
      },
    };
  return { type: "sighting", id, sighting: sighting ? sightingView(sighting.s, sighting.person) : null };
}

export function proposalView(p: Proposal, a: ProposalSide, b: ProposalSide): Wire<typeof C.ProposalSchema> {
  return {
    id: p.id,
    kind: p.kind,
    score: p.score,
    status: p.status,
    a,
    b,
    createdAt: new Date(p.createdAt).toISOString(),
    decidedAt: iso(p.decidedAt),
    decidedBy: p.decidedBy,
    jobId: p.jobId,
  };
}
