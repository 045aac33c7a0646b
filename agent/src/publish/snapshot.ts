/**
 * Camera snapshots: every `snapshot.everySeconds` a camera's current frame becomes a small JPEG
 * (`snapshot.width` px wide, `snapshot.jpegQuality`), published retained on the camera's snapshot
 * topic, so the console's Cameras page shows what each camera sees. The first frame of a camera is
 * sent at once, then one per period (wall-clock time).
 *
 * Cheap on the hot path: a frame that is not due costs a clock read; a due one is averaged down to
 * the snapshot's size synchronously (the frame's buffer goes back to the pool right after), and only
 * that small copy is JPEG-encoded, in libuv's thread pool. One encode per camera at a time.
 */
import { encodeJpeg, type Logger, type RgbImage } from "@argus/shared";
import type { SnapshotSettings } from "@argus/shared/config/schema";

export interface SnapshotFrame {
  /** RGB24, width * height * 3 bytes; read synchronously only. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * The frame averaged down to `outWidth` (and the height that keeps its shape): each output pixel is
 * the mean of the source pixels it covers (box filter), so fine detail does not alias. Never upscales.
 */
export function downscaleRgb(f: SnapshotFrame, outWidth: number): RgbImage {
  const ow = Math.max(1, Math.min(f.width, Math.round(outWidth)));
  const oh = Math.max(1, Math.round((f.height * ow) / f.width));
  const out = new Uint8Array(ow * oh * 3);
  const sx = f.width / ow;
  const sy = f.height / oh;
  const src = f.data;
  const stride = f.width * 3;
  for (let y = 0; y < oh; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.min(f.height, Math.floor((y + 1) * sy)));
    for (let x = 0; x < ow; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.min(f.width, Math.floor((x + 1) * sx)));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        let i = yy * stride + x0 * 3;
        for (let xx = x0; xx < x1; xx++, i += 3) {
          r += src[i];
          g += src[i + 1];
          b += src[i + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * ow + x) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return { data: out, width: ow, height: oh };
}

export interface SnapshotPublisherOptions {
  /** Hands a camera's JPEG to the broker (retained). */
  publish(cameraId: string, jpeg: Buffer): void;
  log?: Logger;
  /** Wall-clock ms (tests inject their own). */
  now?: () => number;
}

export class SnapshotPublisher {
  /** Per camera: when its last snapshot was taken, and whether one is being encoded. */
  private readonly cams = new Map<string, { at: number; busy: boolean }>();
  /** Snapshots handed to the broker. */
  published = 0;

  constructor(private readonly o: SnapshotPublisherOptions) {}

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** Whether the camera's next snapshot is due (everySeconds 0: never). */
  due(cameraId: string, s: SnapshotSettings): boolean {
    if (s.everySeconds <= 0) return false;
    const c = this.cams.get(cameraId);
    return !c || (!c.busy && this.now() - c.at >= s.everySeconds * 1000);
  }

  /** A frame of the camera: taken if a snapshot is due. Resolves once it is published (or skipped). */
  offer(cameraId: string, s: SnapshotSettings, frame: SnapshotFrame): Promise<void> | undefined {
    if (!this.due(cameraId, s)) return undefined;
    const c = { at: this.now(), busy: true };
    this.cams.set(cameraId, c);
    const small = downscaleRgb(frame, s.width);
    return encodeJpeg(small, s.jpegQuality).then(
      (jpeg) => {
        c.busy = false;
        this.published++;
        this.o.publish(cameraId, jpeg);
      },
      (e: Error) => {
        c.busy = false;
        this.o.log?.warn({ camera: cameraId, err: e.message }, "camera snapshot could not be encoded");
      },
    );
  }

  /** The camera stopped: its next start sends a snapshot at once. */
  forget(cameraId: string): void {
    this.cams.delete(cameraId);
  }
}
