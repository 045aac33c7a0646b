/**
 * Where the face box of a sighting lies on its context image. The agent cuts the context crop around
 * the face (a square `factor` times the box's longer side, centred on it, clipped to the frame, then
 * scaled down to at most `maxSide`) and says which region it cut (`Sighting.contextBox`): then the box
 * maps exactly (boxInRegion). Sightings of older agents lack it: contextBox() recovers the region from
 * what the API does say (the box, the frame size) and the image's own size: a clipped crop's shape
 * pins the region; an unclipped one is either unscaled (its size is the region) or scaled, then the
 * agent's default factor is assumed and the result marked approximate.
 */

export type Box = readonly [number, number, number, number];

/** The agent's defaults `bestShot.contextFactor` and `contextMaxSide` (shared/src/config/schema.ts). */
export const DEFAULT_CONTEXT_FACTOR = 3;
export const DEFAULT_CONTEXT_MAX_SIDE = 480;

export interface ContextBox {
  /** The face box in the context image's pixels. */
  box: Box;
  /** True when the region could not be pinned down and the default factor was assumed. */
  approximate: boolean;
}

/** The frame region a crop of side `side` around the box covers (the agent's rounding and clipping). */
function region(box: Box, frame: { width: number; height: number }, side: number): Box {
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  // (the same arithmetic as the agent's cropRegion, shared/src/face/pipeline.ts)
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(frame.width, Math.round(cx + side / 2));
  const y1 = Math.min(frame.height, Math.round(cy + side / 2));
  return [x0, y0, Math.max(x0 + 1, x1), Math.max(y0 + 1, y1)];
}

/** The face box (frame pixels) on an image of the frame region `region` scaled to `image`'s size. */
export function boxInRegion(box: Box, region: Box, image: { width: number; height: number }): Box {
  return toImage(box, region, image);
}

function toImage(box: Box, r: Box, image: { width: number; height: number }): Box {
  const sx = image.width / (r[2] - r[0]);
  const sy = image.height / (r[3] - r[1]);
  return [(box[0] - r[0]) * sx, (box[1] - r[1]) * sy, (box[2] - r[0]) * sx, (box[3] - r[1]) * sy];
}

/**
 * The face box on a context image of `image` size. A context image of the whole frame's shape (a
 * frame sent as context, or a crop clipped on every side) maps directly.
 */
export function contextBox(
  box: Box,
  frame: { width: number; height: number },
  image: { width: number; height: number },
): ContextBox {
  const longer = Math.max(box[2] - box[0], box[3] - box[1], 1);
  const fits = (r: Box) => {
    const w = r[2] - r[0];
    const h = r[3] - r[1];
    // the agent scales both sides by one factor (only down), rounding each to whole pixels
    const s = image.width >= image.height ? image.width / w : image.height / h;
    const tol = s < 1 ? 0.51 : 0.01;
    return s <= 1 + 1e-9 && Math.abs(w * s - image.width) <= tol && Math.abs(h * s - image.height) <= tol;
  };
  // Every distinct crop from a side of the box itself up to one covering the whole frame from any
  // centre: the region's pixel edges change only where cx or cy +- side/2 crosses a half pixel, which
  // repeats every 2 px of side; one side between each pair of such points tries each region once.
  const maxSide = 2 * Math.max(frame.width, frame.height) + 4;
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const offsets = [2 * (cx - 0.5), 2 * (0.5 - cx), 2 * (cy - 0.5), 2 * (0.5 - cy)]
    .map((o) => ((o % 2) + 2) % 2)
    .sort((a, b) => a - b);
  const between = offsets.map((o, i) => (o + (offsets[i + 1] ?? offsets[0] + 2)) / 2);
  let exact: Box | undefined;
  let nearDefault: { r: Box; d: number } | undefined;
  for (let base = Math.floor(longer / 2) * 2; base <= maxSide; base += 2)
    for (const m of between) {
      const side = base + m;
      if (side < longer) continue;
      const r = region(box, frame, side);
      if (!fits(r)) continue;
      // unscaled: the image is the region itself
      if (r[2] - r[0] === image.width && r[3] - r[1] === image.height) exact ??= r;
      const d = Math.abs(side / longer - DEFAULT_CONTEXT_FACTOR);
      if (!nearDefault || d < nearDefault.d) nearDefault = { r, d };
    }
  // An image as long as the agent's limit may have been scaled down to it: then prefer the default factor.
  const atLimit = Math.abs(Math.max(image.width, image.height) - DEFAULT_CONTEXT_MAX_SIDE) <= 1;
  if (exact && !(atLimit && nearDefault)) return { box: toImage(box, exact, image), approximate: false };
  // The whole frame, scaled: a crop clipped on every side, or an agent that sends the frame itself.
  const whole: Box = [0, 0, frame.width, frame.height];
  if (fits(whole)) return { box: toImage(box, whole, image), approximate: false };
  if (nearDefault) {
    // A clipped region has a shape of its own: then the factor does not matter.
    const w = nearDefault.r[2] - nearDefault.r[0];
    const h = nearDefault.r[3] - nearDefault.r[1];
    return { box: toImage(box, nearDefault.r, image), approximate: Math.abs(w - h) <= 1 };
  }
  // Nothing fits the agent's rule (another agent, or a resized image): assume the whole frame.
  return { box: toImage(box, [0, 0, frame.width, frame.height], image), approximate: true };
}
