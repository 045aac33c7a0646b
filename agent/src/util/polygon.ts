/** Polygons in relative frame coordinates (0-1), as in the camera config. Pure. */

import type { Rect } from "@argus/shared";
import type { Polygon } from "@argus/shared/config/schema";

/** Even-odd rule: is the point (relative coordinates) inside the polygon? */
export function insidePolygon(poly: Polygon, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A width x height raster with 1 where a pixel center lies inside any of the polygons. */
export function rasterize(polys: readonly Polygon[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  if (polys.length === 0) return out;
  for (let y = 0; y < height; y++) {
    const ry = (y + 0.5) / height;
    for (let x = 0; x < width; x++) {
      const rx = (x + 0.5) / width;
      for (const p of polys) {
        if (insidePolygon(p, rx, ry)) {
          out[y * width + x] = 1;
          break;
        }
      }
    }
  }
  return out;
}

/** Bounding rectangle of a polygon in pixels of a width x height frame. */
export function polygonRect(poly: Polygon, width: number, height: number): Rect {
  let x0 = 1;
  let y0 = 1;
  let x1 = 0;
  let y1 = 0;
  for (const [x, y] of poly) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return { x: x0 * width, y: y0 * height, w: (x1 - x0) * width, h: (y1 - y0) * height };
}
