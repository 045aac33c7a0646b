/**
 * Operators' mutes, kept in memory for alert planning (no store round trip per event): the store holds
 * them (store.mutes), the API adds and removes them here as it writes them, and the set is loaded at
 * start. Pure logic apart from that.
 *
 * A mute silences the alerts of one camera (agent/camera key) or one person until its end: those
 * alerts are still stored, marked with the mute's id (Alert.mutedBy), but are not announced (no
 * webhook delivery, nothing on the MQTT alerts topic; the console shows them collapsed, without sound
 * or notification). Foe alerts are muted only by a mute made with includeFoe (a camera under
 * maintenance): a plain mute of an unknown-person storm never hides a foe.
 */
import type { AlertType, Mute } from "../domain/types.ts";
import { cameraKey } from "../domain/types.ts";

export interface MuteQuery {
  type: AlertType;
  agentId: string;
  cameraId: string;
  personId: string | null;
  /** The server's time of the alert (mutes are in the server's clock, not the agent's). */
  at: number;
}

/** Whether `m` silences the alert `q`. */
export function muteMatches(m: Mute, q: MuteQuery): boolean {
  if (q.at >= m.until) return false;
  if (q.type === "foe" && !m.includeFoe) return false;
  if (m.targetKind === "camera") return m.targetId === cameraKey(q.agentId, q.cameraId);
  return q.personId !== null && m.targetId === q.personId;
}

export class MuteSet {
  private readonly byId = new Map<string, Mute>();

  constructor(mutes: readonly Mute[] = []) {
    for (const m of mutes) this.byId.set(m.id, m);
  }

  set(m: Mute): void {
    this.byId.set(m.id, m);
  }
  delete(id: string): void {
    this.byId.delete(id);
  }
  /** Replaces the whole set (at start, from the store). */
  reset(mutes: readonly Mute[]): void {
    this.byId.clear();
    for (const m of mutes) this.set(m);
  }
  /** Forgets mutes that ended before `now` (they no longer match anyway). */
  prune(now: number): void {
    for (const [id, m] of this.byId) if (m.until <= now) this.byId.delete(id);
  }
  get size(): number {
    return this.byId.size;
  }

  /** The mute that silences `q` (the one ending last when several do), or null. */
  match(q: MuteQuery): Mute | null {
    let best: Mute | null = null;
    for (const m of this.byId.values()) if (muteMatches(m, q) && (!best || m.until > best.until)) best = m;
    return best;
  }
}
