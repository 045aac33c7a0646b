import sharp, { type Metadata } from "sharp";
import { ArgusError } from "../errors.ts";
import { type RgbImage, rgbImage } from "./types.ts";

export interface DecodeLimits {
  /** Largest encoded input accepted, in bytes. */
  maxBytes: number;
  /** Largest decoded image accepted, in pixels (guards against decompression bombs). */
  maxPixels: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
};

const SUPPORTED = new Set(["jpeg", "png", "webp"]);

/**
 * Decodes a JPEG, PNG or WebP into RGB, honouring EXIF orientation. Every failure is an ArgusError:
 * IMAGE_EMPTY, IMAGE_TOO_LARGE, IMAGE_TOO_MANY_PIXELS, IMAGE_UNSUPPORTED or IMAGE_CORRUPT.
 */
export async function decodeImage(input: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<RgbImage> {
  const { maxBytes, maxPixels } = { ...DEFAULT_DECODE_LIMITS, ...limits };
  if (input.length === 0) throw new ArgusError("IMAGE_EMPTY", "the image is empty (0 bytes)");
  if (input.length > maxBytes) {
    throw new ArgusError("IMAGE_TOO_LARGE", `the image is ${input.length} bytes; the limit is ${maxBytes}`, {
      bytes: input.length,
      maxBytes,
    });
  }
  let meta: Metadata;
  try {
    // Reading the header first lets us reject bombs before any pixel is decoded.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    const sig = signature(input);
    if (sig) {
      throw new ArgusError("IMAGE_CORRUPT", `the ${sig} image is corrupt or truncated: ${msg(e)}`, undefined, {
        cause: e,
      });
    }
    throw new ArgusError(
      "IMAGE_UNSUPPORTED",
      `not a readable image (JPEG, PNG or WebP expected): ${msg(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  if (!meta.format || !SUPPORTED.has(meta.format)) {
    throw new ArgusError("IMAGE_UNSUPPORTED", `unsupported image format '${meta.format}'; JPEG, PNG or WebP expected`, {
      format: meta.format,
    });
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > maxPixels) {
    throw new ArgusError(
      "IMAGE_TOO_MANY_PIXELS",
      `the image is ${meta.width}x${meta.height} (${pixels} pixels); the limit is ${maxPixels} pixels`,
      { width: meta.width, height: meta.height, maxPixels },
    );
  }
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: "error" })
      .rotate() // apply EXIF orientation
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ArgusError("IMAGE_UNSUPPORTED", `decoded to ${info.channels} channels, expected 3`);
    }
    return rgbImage(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
  } catch (e) {
    if (e instanceof ArgusError) throw e;
    throw new ArgusError("IMAGE_CORRUPT", `the ${meta.format} image is corrupt or truncated: ${msg(e)}`, undefined, {
      cause: e,
    });
  }
}

/** The format a buffer claims by its magic bytes, if it is one we support. */
function signature(b: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => Buffer.from(b.subarray(from, to)).toString("latin1");
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === "PNG") return "png";
  if (b.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  return undefined;
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
