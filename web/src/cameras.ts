/**
 * One shared copy of GET /api/v1/cameras for every page (names in sighting cards, filters, the
 * detail view) and each camera's "since": the time its state last changed (the server's
 * `stateSince`; a change seen on the event stream marks it as observed live). Cameras belong to
 * agents: a camera is named by its key `agent/camera` (sightings carry both parts).
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

/** The key `agent/camera` of a sighting's, alert's or camera's camera. */
export const cameraKeyOf = (x: { agentId: string | null; cameraId?: string; id?: string }) =>
  `${x.agentId ?? ""}/${x.cameraId ?? x.id ?? ""}`;

function noteState(c: Partial<Camera> & { key?: string }, live: boolean): void {
  const state = c.status?.state;
  if (!state || !c.key) return;
  const prev = since.get(c.key);
  const at = c.stateSince ?? reportedAt(c);
  if (!prev || prev.state !== state) since.set(c.key, { state, at, observed: live && !!prev });
  else if (!prev.observed) prev.at = at ?? prev.at;
}

export function reloadCameras(): Promise<void> {
  pending ??= api<CameraList>("GET", "/api/v1/cameras")
    .then(
      (d) => {
        data = d;
        error = undefined;
        for (const c of d.cameras) noteState(c, !!since.get(c.key));
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
    if (c.key && data?.cameras.some((x) => x.key === c.key)) {
      data = { ...data, cameras: data.cameras.map((x) => (x.key === c.key ? { ...x, ...c } : x)) };
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

/**
 * The display name of a camera from the shared list, outside components: by key `agent/camera`, or
 * by a bare id (the first camera of that id); the camera's id until the list has loaded.
 */
export function cameraNameOf(ref: string): string {
  const slash = ref.indexOf("/");
  const c = data?.cameras.find((x) => (slash < 0 ? x.id === ref : x.key === ref));
  return c ? cameraLabel(c) : ref.slice(slash + 1);
}

/** The display name of a camera id, from the shared list (re-renders when the list changes). */
export function useCameraName(): (ref: string) => string {
  useCameras();
  return cameraNameOf;
}

export function stateSince(key: string): StateSince | undefined {
  return since.get(key);
}

/** Changes the shared copy after a successful PATCH (name, sensitive) so every page shows it at once. */
export function patchCamera(key: string, patch: Partial<Camera>): void {
  if (!data) return;
  data = { ...data, cameras: data.cameras.map((x) => (x.key === key ? { ...x, ...patch } : x)) };
  changed();
}
