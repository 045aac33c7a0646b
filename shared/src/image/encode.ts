import sharp from "sharp";
import type { RgbImage } from "./types.ts";

/** Encodes RGB pixels as JPEG (crops for events, sightings and the console). */
export async function encodeJpeg(img: RgbImage, quality = 85): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}
