/**
 * Native resizing (sharp / libvips) of a rectangle of an RGB image: the detector's input, one
 * resize per region and level. libvips filters over the whole footprint of each output pixel
 * (no aliasing at any scale) and is faster than our JavaScript bilinear warp on large outputs
 * (bench:speed, "resampling").
 */
import sharp from "sharp";
import type { Rect, RgbImage } from "./types.ts";

export type ResizeKernel = "nearest" | "linear" | "cubic" | "mitchell" | "lanczos2" | "lanczos3";

/** The rectangle `r` (whole pixels inside the image) of `img`, resized to width x height. */
export async function resizeRgb(
  img: RgbImage,
  r: Rect,
  width: number,
  height: number,
  kernel: ResizeKernel = "linear",
): Promise<RgbImage> {
  const whole = r.x === 0 && r.y === 0 && r.w === img.width && r.h === img.height;
  if (whole && width === img.width && height === img.height) return img;
  const { data } = img;
  // A view, not a copy (works for pixels in a SharedArrayBuffer too).
  let p = sharp(Buffer.from(data.buffer, data.byteOffset, data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  if (!whole) p = p.extract({ left: r.x, top: r.y, width: r.w, height: r.h });
  if (width !== r.w || height !== r.h) p = p.resize(width, height, { fit: "fill", kernel });
  const out = await p.raw().toBuffer();
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.length), width, height };
}
