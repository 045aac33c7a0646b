/**
 * The console's one way to the REST API: same-origin fetch with the session cookie, the CSRF header
 * on every change, JSON in and out, and the server's `{error: {code, message}}` as an ApiError.
 */

export type Role = "admin" | "operator" | "viewer";
export type ListName = "friend" | "foe";

export interface Me {
  kind: "session" | "token";
  id: string;
  name: string;
  role: Role;
}

export interface PersonBrief {
  id: string;
  name: string;
  kind: "auto" | "enrolled";
  list: ListName | null;
}

export interface Person extends PersonBrief {
  autoNumber: number | null;
  cameraId: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
  sightingCount: number;
  faceUrl?: string | null;
  regularAt?: string[];
}

export interface Face {
  id: number;
  personId: string;
  source: "enrol" | "sighting";
  cameraId: string | null;
  quality: number;
  sightingId: string | null;
  createdAt: string;
  imageUrl: string;
}

export interface PersonDetail extends Person {
  faces: Face[];
}

export interface Sighting {
  id: string;
  personId: string | null;
  person?: PersonBrief | null;
  cameraId: string;
  agentId: string;
  capturedAt: string;
  lastSeenAt: string;
  similarity: number | null;
  quality: number;
  verdict: "foe" | "friend" | "regular" | "none";
  shots: number;
  faceUrl: string;
  contextUrl: string | null;
  isNew?: boolean;
}

export interface Alert {
  id: string;
  type: "foe" | "unknown_at_sensitive_camera";
  personId: string | null;
  person?: PersonBrief | null;
  sightingId: string;
  cameraId: string;
  agentId: string;
  capturedAt: string;
  similarity: number | null;
  createdAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
  faceUrl: string;
}

export interface Camera {
  id: string;
  agentId: string | null;
  name: string | null;
  sensitive: boolean;
  status: { state?: string; reason?: string } | null;
  statusAt: string | null;
  lastEventAt: string | null;
  eventCount: number;
  eventsPerMinute?: number;
}

export interface Agent {
  id: string;
  createdAt: string;
  status: { state?: string } | null;
  statusAt: string | null;
  lastSeenAt: string | null;
  online?: boolean;
}

export interface User {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SearchResult {
  threshold: number;
  faces: Array<{
    box: [number, number, number, number];
    score: number;
    quality: number;
    candidates: Array<{ person: PersonBrief; similarity: number; match: boolean; sightings?: Sighting[] }>;
  }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Called when the server says the session is gone (401): the app shows the sign-in page. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-argus-csrf"] = "1";
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "NETWORK", "the server cannot be reached; check the connection and try again");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data as { error?: { code: string; message: string; details?: Record<string, unknown> } })?.error;
    const err = new ApiError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? `the server answered ${res.status}`,
      e?.details,
    );
    if (res.status === 401 && path !== "/api/v1/session") onSignedOut();
    throw err;
  }
  return data as T;
}

export const qs = (params: Record<string, string | number | undefined | null | false>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "" && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
};

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export const can = (me: Me | null | undefined, min: Role) => !!me && RANK[me.role] >= RANK[min];
