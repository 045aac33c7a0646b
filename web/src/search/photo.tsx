/**
 * Search by photo: drop or choose a photo; every face the server finds in it is boxed and numbered on
 * the photo, and listed with its own thumbnail (cut from the photo in a canvas) beside its matches,
 * so that in a group photo each result is tied to a face.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, type SearchResult } from "../api.ts";
import { Empty, ErrorBox, Loading } from "../components.tsx";
import { plural } from "../format.ts";
import type { Box } from "../geometry.ts";
import { Candidates, ThresholdNote } from "./results.tsx";

const MESSAGES: Record<string, string> = {
  PAYLOAD_TOO_LARGE: "The photo is too large for the server.",
  IMAGE_TOO_LARGE: "The photo is too large for the server.",
  IMAGE_TOO_MANY_PIXELS: "The photo has too many pixels; use a smaller one.",
  IMAGE_UNSUPPORTED: "This is not a JPEG, PNG or WebP photo.",
  UNSUPPORTED_MEDIA_TYPE: "This is not a JPEG, PNG or WebP photo.",
  IMAGE_CORRUPT: "The photo could not be read (corrupt or truncated).",
};

export function PhotoSearch() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string>("");
  const [over, setOver] = useState(false);
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; result?: SearchResult }>({});
  const img = useRef<HTMLImageElement>(null);
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);

  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);

  const run = async (f: File) => {
    setFile(f);
    setNatural(null);
    setPreview(URL.createObjectURL(f));
    setState({ busy: true });
    const form = new FormData();
    form.append("image", f, f.name);
    try {
      setState({ result: await api<SearchResult>("POST", "/api/v1/search?sightings=3", form) });
    } catch (e) {
      setState({ error: e instanceof ApiError && MESSAGES[e.code] ? new Error(MESSAGES[e.code]) : e });
    }
  };
  const faces = state.result?.faces ?? [];

  return (
    <section aria-labelledby="by-photo">
      <h2 id="by-photo">By photo</h2>
      <label
        class={`dropzone ${over ? "over" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files?.[0];
          if (f) void run(f);
        }}
      >
        <input
          type="file"
          accept="image/jpeg,image/png,image/webp"
          name="photo"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) void run(f);
            e.currentTarget.value = "";
          }}
        />
        <span>
          {file
            ? `${file.name}: drop another photo or click to choose`
            : "Drop a photo here (one face or a group), or click to choose one"}
        </span>
      </label>
      {preview && (
        <figure class="photo-stage" data-testid="photo-stage">
          <div class="stage-wrap">
            <img
              ref={img}
              src={preview}
              alt={file ? `the photo searched: ${file.name}` : "the photo searched"}
              onLoad={(e) => setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
            />
            {natural && faces.length > 0 && <FaceBoxes faces={faces.map((f) => f.box)} size={natural} />}
          </div>
          {faces.length > 0 && (
            <figcaption class="muted small">
              {plural(faces.length, "face")} found; the numbers match the results below.
            </figcaption>
          )}
        </figure>
      )}
      {state.busy && <Loading what="matches (finding faces in the photo)" />}
      {state.error !== undefined && <ErrorBox error={state.error} />}
      {state.result &&
        (faces.length === 0 ? (
          <Empty>No face was found in this photo. Try a clearer, front-facing one.</Empty>
        ) : (
          <div class="photo-results" data-testid="photo-results">
            {faces.map((f, i) => (
              <section class="face-result" key={f.box.join(",")} data-face={i + 1} aria-label={`Face ${i + 1}`}>
                <div class="face-head">
                  <FaceThumb image={img.current} ready={!!natural} box={f.box} n={i + 1} />
                  <h3>Face {i + 1}</h3>
                </div>
                <Candidates candidates={f.candidates} />
              </section>
            ))}
            <ThresholdNote threshold={state.result.threshold} />
          </div>
        ))}
    </section>
  );
}

/** Numbered boxes over the photo: SVG in the photo's own pixels, numbers placed in percent (CSSOM custom properties). */
function FaceBoxes({ faces, size }: { faces: Box[]; size: { width: number; height: number } }) {
  return (
    <>
      <svg
        class="ctx-overlay"
        viewBox={`0 0 ${size.width} ${size.height}`}
        preserveAspectRatio="none"
        aria-hidden="true"
        focusable="false"
      >
        {faces.map((b, i) => (
          <rect
            key={i}
            class="face-box"
            data-face-box={i + 1}
            x={b[0]}
            y={b[1]}
            width={b[2] - b[0]}
            height={b[3] - b[1]}
            vector-effect="non-scaling-stroke"
          />
        ))}
      </svg>
      {faces.map((b, i) => (
        <span
          key={i}
          class="face-num"
          aria-hidden="true"
          data-face-num={i + 1}
          style={{ "--x": `${(b[0] / size.width) * 100}%`, "--y": `${(b[1] / size.height) * 100}%` }}
        >
          {i + 1}
        </span>
      ))}
    </>
  );
}

/** The face cut out of the uploaded photo (with a margin), drawn in a canvas. */
function FaceThumb({ image, ready, box, n }: { image: HTMLImageElement | null; ready: boolean; box: Box; n: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext("2d");
    if (!c || !ctx || !image || !ready) return;
    const w = box[2] - box[0];
    const h = box[3] - box[1];
    const side = Math.max(w, h) * 1.3;
    const sx = box[0] + w / 2 - side / 2;
    const sy = box[1] + h / 2 - side / 2;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(image, sx, sy, side, side, 0, 0, c.width, c.height);
    c.dataset.drawn = "1";
  }, [image, ready, box.join(",")]);
  return (
    <span class="face-thumb">
      <canvas ref={canvas} width={96} height={96} role="img" aria-label={`Face ${n}, cut from the photo`} />
      <span class="face-num static" aria-hidden="true">
        {n}
      </span>
    </span>
  );
}
