/** Records and helpers for the store contract (and for tests that need a person, face or sighting). */
import { randomUUID } from "node:crypto";
import type { Alert, FaceWithEmbedding, Person, Sighting } from "../../src/domain/types.ts";
import { emptyBatch, type IngestBatch } from "../../src/store/types.ts";

export const T0 = Date.UTC(2026, 0, 10, 12);
export const DAY = 86_400_000;

export function person(over: Partial<Person> = {}): Person {
  return {
    id: randomUUID(),
    name: "P",
    kind: "enrolled",
    list: null,
    meta: {},
    autoNumber: null,
    cameraId: null,
    createdAt: T0,
    updatedAt: T0,
    lastSeenAt: null,
    sightingCount: 0,
    ...over,
  };
}

let faceSeq = 1000;
export function face(personId: string, over: Partial<FaceWithEmbedding> = {}): FaceWithEmbedding {
  const embedding = new Float32Array(512);
  embedding[faceSeq % 512] = 1;
  return {
    id: ++faceSeq,
    personId,
    source: "sighting",
    cameraId: "cam1",
    quality: 0.8,
    sightingId: null,
    createdAt: T0,
    embedding,
    ...over,
  };
}

export function sighting(personId: string | null, over: Partial<Sighting> = {}): Sighting {
  return {
    id: randomUUID(),
    personId,
    cameraId: "cam1",
    agentId: "agent1",
    trackId: randomUUID(),
    capturedAt: T0,
    lastSeenAt: T0,
    day: 20260110,
    similarity: 0.7,
    quality: 0.6,
    box: [1, 2, 30, 40],
    frame: { width: 640, height: 480 },
    verdict: "none",
    eventId: randomUUID(),
    shots: 1,
    hasContext: false,
    attributes: null,
    createdAt: T0,
    clockSkewed: false,
    grade: null,
    unlinkedReason: null,
    indexId: null,
    contextBox: null,
    ...over,
  };
}

export function batch(over: Partial<IngestBatch>): IngestBatch {
  return { ...emptyBatch(), ...over };
}

export function alert(s: Sighting, over: Partial<Alert> = {}): Alert {
  return {
    id: randomUUID(),
    type: "foe",
    personId: s.personId,
    sightingId: s.id,
    cameraId: s.cameraId,
    agentId: s.agentId,
    capturedAt: s.capturedAt,
    similarity: s.similarity,
    grade: null,
    createdAt: s.capturedAt,
    ackedAt: null,
    ackedBy: null,
    ackNote: null,
    mutedBy: null,
    ...over,
  };
}

export async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await fetch(cursor);
    pages.push(p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return pages;
}
