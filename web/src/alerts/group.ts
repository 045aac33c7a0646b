/**
 * Alerts as staff read them: repeated alerts of one person at one camera within a few minutes are
 * one row with a count (a person lingering in front of a camera raises one alert per track); open foe
 * alerts come first; each part is ordered by the time the row shows (the latest capture).
 */
import type { Alert } from "../api.ts";

/** Alerts of the same person at the same camera this close to the previous one join its row. */
export const GROUP_WINDOW_MS = 5 * 60_000;

export interface AlertGroup {
  key: string;
  /** Newest first. */
  alerts: Alert[];
  latest: Alert;
  earliest: Alert;
  open: Alert[];
  foe: boolean;
}

const ms = (iso: string) => new Date(iso).getTime();
const byCaptureDesc = (a: Alert, b: Alert) => ms(b.capturedAt) - ms(a.capturedAt) || b.id.localeCompare(a.id);

export function groupAlerts(alerts: Alert[], windowMs = GROUP_WINDOW_MS): AlertGroup[] {
  const sorted = [...new Map(alerts.map((a) => [a.id, a])).values()].sort(byCaptureDesc);
  const groups: AlertGroup[] = [];
  const lastOf = new Map<string, AlertGroup>();
  for (const a of sorted) {
    // Without a person nothing says two alerts are the same face: they stay apart.
    const who = a.personId ? `${a.type}|${a.personId}|${a.cameraId}` : undefined;
    const g = who ? lastOf.get(who) : undefined;
    if (g && ms(g.earliest.capturedAt) - ms(a.capturedAt) <= windowMs) {
      g.alerts.push(a);
      g.earliest = a;
      if (!a.ackedAt) g.open.push(a);
      continue;
    }
    const ng: AlertGroup = {
      key: a.id,
      alerts: [a],
      latest: a,
      earliest: a,
      open: a.ackedAt ? [] : [a],
      foe: a.type === "foe",
    };
    groups.push(ng);
    if (who) lastOf.set(who, ng);
  }
  return groups;
}

/** Open foe rows first, then everything else; each part newest first by the time the row shows. */
export function orderGroups(groups: AlertGroup[]): AlertGroup[] {
  const urgent = (g: AlertGroup) => (g.foe && g.open.length > 0 ? 0 : 1);
  return [...groups].sort((a, b) => urgent(a) - urgent(b) || byCaptureDesc(a.latest, b.latest));
}
