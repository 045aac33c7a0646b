/**
 * The console's one way to the REST API: same-origin fetch with the session cookie, the CSRF header
 * on every change, JSON in and out, and the server's `{error: {code, message}}` as an ApiError.
 */

import { ROLE_RANK, type Role } from "@argus/shared/api/enums";
import type { ErrorBody, Principal } from "@argus/shared/api/index";

// The API's shapes come from the shared contract (shared/src/api): a field renamed on the server
// fails this console's type-check.
export type {
  Agent,
  AgentCredentials,
  Alert,
  AuditEntry,
  Camera,
  DeadLetter,
  Delivery,
  Face,
  HistorySearchResult,
  Job,
  ListName,
  MoveResult,
  Mute,
  Page,
  Person,
  PersonBrief,
  PersonDetail,
  PersonListItem,
  Proposal,
  ResponseOf,
  SearchResult,
  Settings,
  Sighting,
  StreamEvent,
  Token,
  User,
  Visit,
  Webhook,
} from "@argus/shared/api/index";
export type { Role };

/** The signed-in caller. */
export type Me = Principal;

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
  if (!res.ok) throw errorOf(res, text, path);
  return parse(text) as T;
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The server's `{error: {code, message}}` as an ApiError (a 401 also returns to the sign-in page). */
function errorOf(res: Response, text: string, path: string): ApiError {
  const e = (parse(text) as Partial<ErrorBody> | undefined)?.error;
  if (res.status === 401 && path !== "/api/v1/session") onSignedOut();
  return new ApiError(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? `the server answered ${res.status}`,
    e?.details,
  );
}

/** A GET of a text answer (CSV), with its headers; errors as api() reports them. */
export async function apiText(path: string): Promise<{ text: string; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "NETWORK", "the server cannot be reached; check the connection and try again");
  }
  const text = await res.text();
  if (!res.ok) throw errorOf(res, text, path);
  return { text, headers: res.headers };
}

export const qs = (params: Record<string, string | number | undefined | null | false>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "" && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
};

export const can = (me: Me | null | undefined, min: Role) => !!me && ROLE_RANK[me.role] >= ROLE_RANK[min];
