/**
 * A sighting's context image with its face box drawn over it (SVG in the image's own pixels: it scales
 * with it). The agent says which region of the frame the image shows (`contextBox`): the face box is
 * mapped from it exactly; for sightings of older agents the region is inferred from the crop rule.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Sighting } from "../api.ts";
import { Crop } from "../components.tsx";
import { boxInRegion, contextBox } from "../geometry.ts";

export function ContextImage({ s }: { s: Sighting }) {
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [failed, setFailed] = useState(false);
  const img = useRef<HTMLImageElement>(null);
  const measure = () => {
    const el = img.current;
    if (el?.complete && el.naturalWidth) setSize({ width: el.naturalWidth, height: el.naturalHeight });
  };
  // A cached image may have loaded before the handler was attached.
  useEffect(measure, [s.contextUrl]);

  if (!s.contextUrl || failed)
    return (
      <figure class="sd-context no-context">
        <Crop src={s.faceUrl} alt="the face (no context image)" size={224} />
        <figcaption class="muted small">
          {failed
            ? "The context image could not be loaded."
            : "No context image was stored for this sighting (its agent sent none, or the server does not keep them)."}
        </figcaption>
      </figure>
    );
  const cb = size
    ? s.contextBox
      ? { box: boxInRegion(s.box, s.contextBox, size), approximate: false, exact: true }
      : { ...contextBox(s.box, s.frame, size), exact: false }
    : null;
  const [x1, y1, x2, y2] = cb?.box ?? [0, 0, 0, 0];
  return (
    <figure class="sd-context">
      <div class="ctx-wrap">
        <img
          ref={img}
          src={s.contextUrl}
          alt="Camera view around the face"
          onLoad={measure}
          onError={() => setFailed(true)}
        />
        {size && (
          <svg
            class="ctx-overlay"
            viewBox={`0 0 ${size.width} ${size.height}`}
            preserveAspectRatio="none"
            aria-hidden="true"
            focusable="false"
          >
            <rect
              class="face-box"
              data-box={cb!.box.map((v) => v.toFixed(1)).join(",")}
              data-region={cb!.exact ? "agent" : "inferred"}
              x={x1}
              y={y1}
              width={Math.max(1, x2 - x1)}
              height={Math.max(1, y2 - y1)}
              vector-effect="non-scaling-stroke"
            />
          </svg>
        )}
      </div>
      <figcaption class="muted small">
        The camera's view around the face; the box marks the face
        {cb?.approximate ? " (position approximate: the server does not say which part of the frame this is)" : ""}.
        Frame {s.frame.width}×{s.frame.height} px.
      </figcaption>
    </figure>
  );
}
