/**
 * Cuts ffmpeg's raw video byte stream into frames of exactly `frameBytes` bytes. Pipe chunks do
 * not respect frame boundaries, so bytes are copied into one buffer per frame (one copy, no
 * concatenation of the whole stream); `alloc` lets frame buffers come from a pool.
 */
export class FrameSlicer {
  private frame: Buffer | undefined;
  private filled = 0;

  constructor(
    readonly frameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly alloc: (bytes: number) => Buffer = Buffer.allocUnsafe,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`invalid frame size ${frameBytes}`);
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      this.frame ??= this.alloc(this.frameBytes);
      const n = Math.min(this.frameBytes - this.filled, chunk.length - off);
      this.frame.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.frameBytes) {
        const f = this.frame;
        this.frame = undefined;
        this.filled = 0;
        this.onFrame(f);
      }
    }
  }

  /** Bytes of an incomplete frame held back (non-zero at the end of a stream means a truncated frame). */
  get pending(): number {
    return this.filled;
  }
}
