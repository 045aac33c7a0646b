/**
 * FindFace's automatic friend: a person seen on at least `minDays` distinct days within the last
 * `windowDays` days by the same camera is a regular there. Distinct days per (person, camera) are
 * cached so the hot path asks the store once per pair, not once per event.
 */
import type { Store } from "../store/types.ts";
import { dayOf, windowStartDay } from "../util/days.ts";

export interface RegularsOptions {
  minDays: number;
  windowDays: number;
  timeZone: string;
}

export class Regulars {
  private readonly cache = new Map<string, Set<number>>();
  constructor(
    private readonly store: Store,
    readonly opts: RegularsOptions,
  ) {}

  day(ms: number): number {
    return dayOf(ms, this.opts.timeZone);
  }

  /** Whether the person counts as a regular at the camera, counting a sighting at `ms`. */
  async isRegular(personId: string, agentId: string, cameraId: string, ms: number): Promise<boolean> {
    const k = `${personId}|${agentId}|${cameraId}`;
    let days = this.cache.get(k);
    if (!days) {
      days = new Set(
        await this.store.sightings.distinctDays(
          personId,
          agentId,
          cameraId,
          windowStartDay(ms, this.opts.windowDays + 1, this.opts.timeZone),
        ),
      );
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(k, days);
    }
    days.add(this.day(ms));
    const since = windowStartDay(ms, this.opts.windowDays, this.opts.timeZone);
    let n = 0;
    for (const d of days) if (d >= since) n++;
    return n >= this.opts.minDays;
  }

  /** Forget cached days (a merge or delete changed whose sightings are whose). */
  forget(personId?: string): void {
    if (!personId) {
      this.cache.clear();
      return;
    }
    for (const k of this.cache.keys()) if (k.startsWith(`${personId}|`)) this.cache.delete(k);
  }

  /** Cameras (keys `agent/camera`) where the person is a regular now (for the API). */
  async regularAt(personId: string, now = Date.now()): Promise<string[]> {
    return this.store.sightings.regularCameras(
      personId,
      windowStartDay(now, this.opts.windowDays, this.opts.timeZone),
      this.opts.minDays,
    );
  }
}
