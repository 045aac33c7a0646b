/**
 * The alerts a new sighting raises, and their webhook deliveries: pure planning, committed by
 * ingestion together with the sighting (the deliveries are an outbox the webhook worker drains).
 */
import type { Alert, AlertType, Delivery, Grade, PersonKind, Sighting, Webhook } from "../domain/types.ts";
import { derivedId } from "../util/ids.ts";
import type { MuteSet } from "./mutes.ts";
import { alertsFor, type Cooldown } from "./rules.ts";

export interface AlertContext {
  cameraSensitive: boolean;
  /** The setting alerts.unknownAtSensitive. */
  unknownAtSensitive: boolean;
  cooldown: Cooldown;
  webhooks: readonly Webhook[];
  /** The setting alerts.foeMinGrade (absent: any grade). */
  foeMinGrade?: Grade;
  /** Only these alert types (a track linked to its person by a later shot raises only a foe alert). */
  only?: readonly AlertType[];
  /** Operators' mutes (alerts/mutes.ts): a muted alert is stored with mutedBy and gets no deliveries. */
  mutes?: MuteSet;
}

/**
 * At most one alert of a type per person (or, without a person, per track) and camera within the
 * cooldown. Ids derive from the sighting, so a redelivered event plans the same rows again.
 * An alert a mute matches (at the receive time) is planned muted: stored, without webhook deliveries.
 */
export function planAlerts(
  s: Sighting,
  personKind: PersonKind | null,
  receivedAt: number,
  c: AlertContext,
): { alerts: Alert[]; deliveries: Delivery[] } {
  const alerts: Alert[] = [];
  const deliveries: Delivery[] = [];
  const types = alertsFor({
    verdict: s.verdict,
    personKind,
    cameraSensitive: c.cameraSensitive,
    unknownAtSensitive: c.unknownAtSensitive,
    grade: s.grade,
    foeMinGrade: c.foeMinGrade,
  }).filter((t) => !c.only || c.only.includes(t));
  const who = s.personId ?? `track:${s.agentId}|${s.cameraId}|${s.trackId}`;
  for (const type of types) {
    if (!c.cooldown.allow(`${type}|${who}|${s.agentId}/${s.cameraId}`, s.capturedAt)) continue;
    const mute =
      c.mutes?.match({ type, agentId: s.agentId, cameraId: s.cameraId, personId: s.personId, at: receivedAt }) ?? null;
    const alert: Alert = {
      id: derivedId(s.id, type),
      type,
      personId: s.personId,
      sightingId: s.id,
      cameraId: s.cameraId,
      agentId: s.agentId,
      capturedAt: s.capturedAt,
      similarity: s.similarity,
      grade: s.grade,
      createdAt: receivedAt,
      ackedAt: null,
      ackedBy: null,
      ackNote: null,
      mutedBy: mute?.id ?? null,
    };
    alerts.push(alert);
    if (mute) continue;
    for (const w of c.webhooks) {
      if (!w.enabled || (w.events.length && !w.events.includes(type))) continue;
      deliveries.push({
        id: derivedId(alert.id, w.id),
        webhookId: w.id,
        alertId: alert.id,
        status: "pending",
        attempts: 0,
        nextAttemptAt: receivedAt,
        lastError: null,
        createdAt: receivedAt,
        updatedAt: receivedAt,
      });
    }
  }
  return { alerts, deliveries };
}
