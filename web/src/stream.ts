/**
 * The server's event stream (GET /api/v1/stream, cookie-authenticated): one EventSource for the whole
 * console, shared by the pages that listen. The browser reconnects by itself and resumes with
 * Last-Event-ID (the server replays what was missed, across its restarts too, or says `reset`, and
 * every loaded value reloads); `status` says whether it is connected.
 */
import { STREAM_EVENTS, type StreamEventType } from "@argus/shared/api/enums";
import type { StreamEvent } from "@argus/shared/api/index";
import { useEffect, useState } from "preact/hooks";

type Handler = (data: unknown) => void;

const handlers = new Map<StreamEventType, Set<Handler>>();
const resetListeners = new Set<() => void>();
const statusListeners = new Set<(s: StreamStatus) => void>();
export type StreamStatus = "connecting" | "live" | "reconnecting";
let status: StreamStatus = "connecting";
/** When the stream stopped being live (null while live): the outage banner's clock. */
let downSince: number | null = Date.now();
let source: EventSource | undefined;
let onLost: () => void = () => {};

/**
 * The browser gives up on a stream the server refused (401 after the session ended, or an error
 * page); `f` then decides: sign-in page, or `openStream()` again.
 */
export function whenStreamLost(f: () => void): void {
  onLost = f;
}

function setStatus(s: StreamStatus): void {
  if (s === "live") downSince = null;
  else downSince ??= Date.now();
  status = s;
  for (const l of statusListeners) l(s);
}

export function openStream(): void {
  if (source) return;
  downSince ??= Date.now();
  source = new EventSource("/api/v1/stream", { withCredentials: true });
  source.onopen = () => setStatus("live");
  source.onerror = () => {
    setStatus("reconnecting");
    if (source?.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    source = undefined;
    setTimeout(() => onLost(), 3000);
  };
  // After a server restart or a long disconnection the server may no longer have every event we
  // missed: it says `reset`, and what the page shows is loaded again.
  source.addEventListener("reset", () => {
    for (const f of resetListeners) f();
  });
  for (const type of STREAM_EVENTS) {
    source.addEventListener(type, (e) => {
      let data: unknown;
      try {
        data = JSON.parse((e as MessageEvent).data);
      } catch {
        return;
      }
      for (const h of handlers.get(type) ?? []) h(data);
    });
  }
}

/** Drops the connection and opens a new one at once (the outage banner's "Retry now"). */
export function reconnectStream(): void {
  const since = downSince;
  source?.close();
  source = undefined;
  openStream();
  downSince = since ?? downSince;
}

export function closeStream(): void {
  source?.close();
  source = undefined;
  setStatus("connecting");
  downSince = null; // signed out on purpose: not an outage
}

/** Calls `f` for each event of `type` until the returned function is called (for stores outside components). */
export function subscribe<E extends StreamEventType>(type: E, f: (data: StreamEvent<E>) => void): () => void {
  const h = f as Handler;
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type)!.add(h);
  return () => void handlers.get(type)!.delete(h);
}

/** Calls `f` for each event of `type` (its data typed by the shared contract) while the component is mounted. */
export function useStream<E extends StreamEventType>(
  type: E,
  f: (data: StreamEvent<E>) => void,
  deps: unknown[] = [],
): void {
  useEffect(() => subscribe(type, f), deps);
}

/** Since when the stream is down (epoch ms), or null while it is live. */
export function streamDownSince(): number | null {
  return downSince;
}

/** Calls `f` when the stream missed events it cannot replay (`reset`): reload the data the component shows. */
export function useStreamReset(f: () => void): void {
  useEffect(() => {
    resetListeners.add(f);
    return () => void resetListeners.delete(f);
  }, [f]);
}

export function useStreamStatus(): StreamStatus {
  const [s, set] = useState(status);
  useEffect(() => {
    statusListeners.add(set);
    return () => void statusListeners.delete(set);
  }, []);
  return s;
}
