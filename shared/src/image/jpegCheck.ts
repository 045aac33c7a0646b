/**
 * A cheap structural check that bytes are a JPEG of sane size, without decoding it: SOI, the header
 * segments up to the first scan (each with a length that fits), a frame header (SOF) whose width and
 * height are within bounds, and EOI at the end. It costs a few hundred byte reads, not a decode, so it
 * can run on every face event; the agent and the server run the same check through the event schema.
 */

export interface JpegLimits {
  /** Largest width or height, pixels. */
  maxSide: number;
  /** Largest width x height (decompression bombs). */
  maxPixels?: number;
}

export type JpegCheck =
  | { ok: true; width: number; height: number; components: number; progressive: boolean }
  | { ok: false; error: string };

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Frame headers: SOF0-3, 5-7, 9-11, 13-15 (C4 is DHT, C8 reserved, CC is DAC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

const fail = (error: string): JpegCheck => ({ ok: false, error });

export function checkJpeg(b: Uint8Array, limits: JpegLimits): JpegCheck {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== SOI) return fail("not a JPEG (no SOI marker)");
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== EOI) return fail("truncated JPEG (no EOI marker at the end)");
  let frame: { width: number; height: number; components: number; progressive: boolean } | undefined;
  let i = 2;
  for (;;) {
    if (i >= b.length - 1 || b[i] !== 0xff) return fail(`corrupt JPEG (no marker at byte ${i})`);
    while (i < b.length - 1 && b[i + 1] === 0xff) i++; // fill bytes
    const m = b[i + 1];
    i += 2;
    if (m === EOI || m === SOI) return fail("corrupt JPEG (no image data)");
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue; // RSTn, TEM: no length
    if (i + 2 > b.length) return fail("truncated JPEG header");
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2 || i + len > b.length) return fail(`corrupt JPEG (segment 0x${m.toString(16)} overruns the data)`);
    if (isSof(m)) {
      if (len < 8) return fail("corrupt JPEG (short frame header)");
      const height = (b[i + 3] << 8) | b[i + 4];
      const width = (b[i + 5] << 8) | b[i + 6];
      const components = b[i + 7];
      if (len < 8 + 3 * components || components < 1 || components > 4) return fail("corrupt JPEG (bad frame header)");
      frame = { width, height, components, progressive: m === 0xc2 || m === 0xc6 || m === 0xca || m === 0xce };
    }
    if (m === SOS) break; // entropy-coded data follows: not read
    i += len;
  }
  if (!frame) return fail("corrupt JPEG (no frame header before the image data)");
  const { width, height } = frame;
  if (width < 1 || height < 1) return fail(`JPEG of ${width}x${height} pixels`);
  if (width > limits.maxSide || height > limits.maxSide)
    return fail(`JPEG of ${width}x${height} pixels: sides of at most ${limits.maxSide}`);
  if (limits.maxPixels !== undefined && width * height > limits.maxPixels)
    return fail(`JPEG of ${width}x${height} pixels: at most ${limits.maxPixels} pixels`);
  return { ok: true, ...frame };
}
