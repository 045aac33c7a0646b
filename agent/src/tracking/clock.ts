/**
 * The time tracks age by, for one camera: stream time while frames come, continued by wall-clock
 * time while the camera waits for its next frame (a source that is down, stalled or slow). Tracks
 * therefore end `timeoutMs` of wall-clock time after their face was last seen even when no frame
 * arrives, yet time spent analyzing frames counts in stream time only: a file read faster (or
 * analyzed slower) than real time does not end tracks early, and its results do not depend on how
 * fast the machine is.
 *
 * The caller says where the stream is known up to (`seen`), and asks for `idleNow()` only while no
 * frame is waiting or being analyzed (a waiting frame is newer evidence than the clock).
 *
 * With `stallMs` (files), waiting counts only once it is longer than that (a decoder stuck), and
 * then all of it: until then the clock stays at the last frame's stream time, so tracks end on
 * frames alone and the results do not depend on when frames arrive.
 */
export class TrackClock {
  private last: { streamMs: number; wallMs: number } | undefined;

  /** `now`: wall-clock milliseconds (default performance.now(); tests inject their own). */
  constructor(
    readonly now: () => number = () => performance.now(),
    readonly stallMs = 0,
  ) {}

  /**
   * The stream is known up to `streamMs` as of wall time `wallMs`: a frame's arrival for sources
   * that push frames at their own rate (cameras, files at their native rate), the end of its
   * analysis for files read as fast as possible (they wait for the agent, not the other way round).
   */
  seen(streamMs: number, wallMs: number = this.now()): void {
    this.last = { streamMs, wallMs };
  }

  /** Still at the same stream time as of `wallMs` (the agent was busy with the last frame, not waiting). */
  busyUntil(wallMs: number = this.now()): void {
    if (this.last) this.last = { streamMs: this.last.streamMs, wallMs: Math.max(this.last.wallMs, wallMs) };
  }

  /** Stream time now, while no frame waits: the last known stream time plus the wall time since (undefined before any frame). */
  idleNow(): number | undefined {
    if (!this.last) return undefined;
    const waited = Math.max(0, this.now() - this.last.wallMs);
    return this.last.streamMs + (waited > this.stallMs ? waited : 0);
  }

  /** Forgets the stream (a new connection: its frames start a new account). */
  reset(): void {
    this.last = undefined;
  }
}
