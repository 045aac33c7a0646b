/**
 * Reuses frame buffers: a 1080p RGB frame is 6 MB, and allocating one per frame (tens per second
 * with several cameras) made garbage collection and page faults a fifth of the agent's CPU.
 * A frame's buffer goes back to the pool once the frame is analyzed or dropped.
 *
 * Buffers are in shared memory (SharedArrayBuffer) so the face worker threads read a frame
 * where it is, without a 6 MB copy per frame.
 *
 * While the source is down (`clear`), no buffer is kept waiting for a next frame that may not come:
 * free buffers, and those handed back until the next `take`, are left to the GC.
 */
export class FramePool {
  private free: Buffer[] = [];
  private readonly own = new WeakSet<Buffer>();
  private cleared = false;

  /** `keep`: free buffers kept at most (more in use is fine; they are then left to the GC). */
  constructor(private readonly keep = 4) {}

  take(bytes: number): Buffer {
    this.cleared = false;
    // Buffers of another frame size (before a reconnect) are dropped on the way.
    let b = this.free.pop();
    while (b && b.length !== bytes) b = this.free.pop();
    if (b) return b;
    const n = Buffer.from(new SharedArrayBuffer(bytes));
    this.own.add(n);
    return n;
  }

  /** Returns a buffer taken from this pool; anything else is ignored. */
  give(b: Buffer): void {
    if (this.cleared || !this.own.has(b) || this.free.includes(b)) return;
    if (this.free.length < this.keep) this.free.push(b);
  }

  /** The source is down: keep nothing until the next `take`. */
  clear(): void {
    this.free = [];
    this.cleared = true;
  }

  get idle(): number {
    return this.free.length;
  }
}
