/**
 * One shared copy of GET /api/v1/cameras for every page (names in sighting cards, filters, the
 * detail view) and each camera's "since": the time its state last changed. The server keeps only the
 * last status report (the agent republishes it periodically), so a change of state is known only
 * when this console sees it happen on the event stream; before that the page says "reported".
 */
import { useEffect, useState } from "preact/hooks";
import { api, type Camera, type ResponseOf } from "./api.ts";
import { cameraLabel } from "./format.ts";
import { subscribe } from "./stream.ts";

export type CameraList = ResponseOf<"listCameras">;

/** Per camera: the state last seen and when it began, `observed` when this console saw the change. */
export interface StateSince {
  state: string;
  at: string | null;
  observed: boolean;
}

let data: CameraList | undefined;
let error: unknown;
let pending: Promise<void> | undefined;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;
const since = new Map<string, StateSince>();
const listeners = new Set<() => void>();
const changed = () => {
  for (const l of listeners) l();
};

/** The camera's state as this console knows it: the reported `status.at` if the agent sent one, else `statusAt`. */
function reportedAt(c: Partial<Camera>): string | null {
  const at = c.status?.at;
  return typeof at === "string" ? at : (c.statusAt ?? null);
}

function noteState(c: Partial<Camera> & { id: string }, live: boolean): void {
  const state = c.status?.state;
  if (!state) return;
  const prev = since.get(c.id);
  if (!prev) since.set(c.id, { state, at: reportedAt(c), observed: false });
  else if (prev.state !== state)
    since.set(c.id, { state, at: reportedAt(c) ?? new Date().toISOString(), observed: live });
  else if (!prev.observed) prev.at = reportedAt(c) ?? prev.at; // still unknown when it began: show the latest report
}

export function reloadCameras(): Promise<void> {
  pending ??= api<CameraList>("GET", "/api/v1/cameras")
    .then(
      (d) => {
        data = d;
        error = undefined;
        for (const c of d.cameras) noteState(c, !!since.get(c.id));
      },
      (e) => {
        error = e;
      },
    )
    .finally(() => {
      pending = undefined;
      changed();
    });
  return pending;
}

/** A throttled reload: a busy site's status messages must not become a request storm. */
function reloadSoon(): void {
  if (reloadTimer !== undefined) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = undefined;
    void reloadCameras();
  }, 1000);
}

let subscribed = false;
function listen(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe("camera", (c) => {
    noteState(c, true);
    if (data?.cameras.some((x) => x.id === c.id)) {
      data = { ...data, cameras: data.cameras.map((x) => (x.id === c.id ? { ...x, ...c } : x)) };
      changed();
    } else reloadSoon(); // a new camera
  });
  subscribe("agent", reloadSoon);
}

/** The camera list (loaded once, kept current by the stream) with loading and error states. */
export function useCameras(): { data?: CameraList; error?: unknown; reload: () => Promise<void> } {
  const [, setN] = useState(0);
  useEffect(() => {
    const l = () => setN((n) => n + 1);
    listeners.add(l);
    listen();
    if (!data && !pending) void reloadCameras();
    return () => void listeners.delete(l);
  }, []);
  return { data, error, reload: reloadCameras };
}

/** The display name of a camera id from the shared list, outside components (the id until it has loaded). */
export function cameraNameOf(id: string): string {
  const c = data?.cameras.find((x) => x.id === id);
  return c ? cameraLabel(c) : id;
}

/** The display name of a camera id, from the shared list (re-renders when the list changes). */
export function useCameraName(): (id: string) => string {
  useCameras();
  return cameraNameOf;
}

export function stateSince(id: string): StateSince | undefined {
  return since.get(id);
}

/** Changes the shared copy after a successful PATCH (name, sensitive) so every page shows it at once. */
export function patchCamera(id: string, patch: Partial<Camera>): void {
  if (!data) return;
  data = { ...data, cameras: data.cameras.map((x) => (x.id === id ? { ...x, ...patch } : x)) };
  changed();
}
