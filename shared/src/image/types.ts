/** A decoded 8-bit RGB image, pixels interleaved row by row (RGBRGB...). */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** An axis-aligned rectangle in pixels: x, y of the top-left corner, width, height. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function rgbImage(data: Uint8Array, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`RGB buffer of ${data.length} bytes does not match ${width}x${height}x3`);
  }
  return { data, width, height };
}
