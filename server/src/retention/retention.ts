/**
 * Privacy retention: sightings (and their crops and alerts) older than `days` are deleted, except
 * for persons on a list when keepListed; automatic persons left with no sightings go too (their
 * faces with them). Event ids used for duplicate dropping are forgotten after dedupDays. Dead letters
 * (they may hold the start of an event: embedding, crop) go after deadLetterDays, and never outlive
 * `days`.
 */
import type { Logger } from "@argus/shared";
import type { Regulars } from "../alerts/regulars.ts";
import type { PersonService } from "../identify/persons.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { CropStore } from "../store/crops.ts";
import type { Store } from "../store/types.ts";

const DAY = 86_400_000;

export interface RetentionResult {
  sightings: number;
  persons: number;
  eventIds: number;
  deadLetters: number;
  auditEntries?: number;
  /** Mutes that ended more than a day ago (their history stays in the audit log). */
  mutes?: number;
}

export async function runRetention(d: {
  store: Store;
  crops: CropStore;
  persons: PersonService;
  regulars: Regulars;
  days: number;
  keepListed: boolean;
  dedupDays: number;
  /** Dead letters are kept this many days (and at most `days` when that is set). */
  deadLetterDays?: number;
  /** Audit log entries are kept this many days (0 or absent: forever). */
  auditDays?: number;
  /** Sightings deleted (the history index drops them). */
  onSightingsDeleted?: (ids: string[]) => void;
  now?: number;
  log?: Logger;
  metrics?: ServerMetrics;
}): Promise<RetentionResult> {
  const now = d.now ?? Date.now();
  const out: RetentionResult = { sightings: 0, persons: 0, eventIds: 0, deadLetters: 0 };
  if (d.days > 0) {
    const before = now - d.days * DAY;
    for (;;) {
      const ids = await d.store.sightings.deleteBefore(before, d.keepListed, 1000);
      if (!ids.length) break;
      out.sightings += ids.length;
      d.onSightingsDeleted?.(ids);
      await Promise.all([d.crops.delete("sightings", ids), d.crops.delete("context", ids)]);
    }
    for (;;) {
      const empty = await d.store.persons.emptyAuto(500);
      if (!empty.length) break;
      for (const id of empty) await d.persons.delete(id).catch(() => {});
      out.persons += empty.length;
    }
    if (out.sightings) d.regulars.forget();
  }
  out.eventIds = await d.store.sightings.deleteEventIdsBefore(now - d.dedupDays * DAY);
  const dlDays = Math.min(d.deadLetterDays ?? Number.POSITIVE_INFINITY, d.days > 0 ? d.days : Number.POSITIVE_INFINITY);
  if (Number.isFinite(dlDays)) {
    out.deadLetters = await d.store.deadLetters.deleteBefore(now - dlDays * DAY);
    d.metrics?.deadLettersDropped.inc({ cause: "retention" }, out.deadLetters);
  }
  if (d.auditDays) out.auditEntries = await d.store.audit.deleteBefore(now - d.auditDays * DAY);
  out.mutes = await d.store.mutes.deleteEnded(now - DAY);
  if (out.sightings || out.persons || out.deadLetters || out.auditEntries || out.mutes)
    d.log?.info(out, "retention removed old data");
  return out;
}
