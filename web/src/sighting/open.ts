/**
 * Which sighting the detail dialog shows: any page opens it with `openSighting` (a sighting it already
 * has, or just an id, as alerts carry). Closing returns the focus to what opened it.
 */
import { useEffect, useState } from "preact/hooks";
import type { Sighting } from "../api.ts";

export interface OpenSighting {
  id: string;
  sighting?: Sighting;
}

let current: OpenSighting | null = null;
let opener: HTMLElement | null = null;
const listeners = new Set<(s: OpenSighting | null) => void>();

export function openSighting(s: Sighting | string): void {
  if (!current) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  current = typeof s === "string" ? { id: s } : { id: s.id, sighting: s };
  for (const l of listeners) l(current);
}

/** `restoreFocus` false when the page changes under the dialog (the opener is gone). */
export function closeSighting(restoreFocus = true): void {
  if (!current) return;
  current = null;
  for (const l of listeners) l(null);
  if (restoreFocus && opener?.isConnected) opener.focus();
  opener = null;
}

export function useOpenSighting(): OpenSighting | null {
  const [s, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return s;
}
