/**
 * Acknowledging alerts: one request for a selection (POST /alerts/bulk-ack, at most BULK_ACK_MAX ids
 * a request), with the operator's optional note kept on each alert and in the audit log.
 */
import { ACK_NOTE_MAX, BULK_ACK_MAX } from "@argus/shared/api/enums";
import { type Alert, api, type Me } from "../api.ts";

export { ACK_NOTE_MAX };

type BulkAckResult = { acknowledged: number; alreadyAcknowledged: number; notFound: string[]; ackedAt: string };

/**
 * Acknowledges `ids` with `note`; returns the changes to show at once (the event stream confirms
 * them): the caller as `ackedBy`, the server's time, the note.
 */
export async function ackAlerts(
  ids: string[],
  note: string,
  me: Me,
): Promise<Array<Pick<Alert, "id" | "ackedAt" | "ackedBy" | "ackNote">>> {
  const trimmed = note.trim();
  const changed: Array<Pick<Alert, "id" | "ackedAt" | "ackedBy" | "ackNote">> = [];
  for (let i = 0; i < ids.length; i += BULK_ACK_MAX) {
    const chunk = ids.slice(i, i + BULK_ACK_MAX);
    const r = await api<BulkAckResult>("POST", "/api/v1/alerts/bulk-ack", {
      ids: chunk,
      ...(trimmed ? { note: trimmed } : {}),
    });
    const gone = new Set(r.notFound);
    for (const id of chunk)
      if (!gone.has(id))
        changed.push({ id, ackedAt: r.ackedAt, ackedBy: `${me.kind}:${me.name}`, ackNote: trimmed || null });
  }
  return changed;
}
