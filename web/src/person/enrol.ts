/** Enrolling photos of a person one by one, with each photo's outcome (the server's reason when it refuses one). */
import { ApiError, api, type ResponseOf } from "../api.ts";
import { percent } from "../format.ts";

export type EnrolOutcome =
  | { state: "waiting" }
  | { state: "sending" }
  | { state: "enrolled"; quality: number }
  | { state: "refused"; reason: string };

/** The server's reason in words staff can act on (its message names the problem: no face, two faces, ...). */
export function refusal(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === "PAYLOAD_TOO_LARGE" || e.code === "IMAGE_TOO_LARGE") return "the photo is too large for the server";
    if (e.code === "UNSUPPORTED_MEDIA_TYPE" || e.code === "IMAGE_UNSUPPORTED") return "not a JPEG, PNG or WebP photo";
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function outcomeText(o: EnrolOutcome): string {
  switch (o.state) {
    case "waiting":
      return "waiting";
    case "sending":
      return "enrolling…";
    case "enrolled":
      return `enrolled (face quality ${percent(o.quality)})`;
    case "refused":
      return `refused: ${o.reason}`;
  }
}

/** Sends the photos one after the other (the server checks each for exactly one usable face). */
export async function enrolPhotos(
  personId: string,
  files: File[],
  progress: (i: number, o: EnrolOutcome) => void,
): Promise<EnrolOutcome[]> {
  const out: EnrolOutcome[] = files.map(() => ({ state: "waiting" }));
  for (let i = 0; i < files.length; i++) {
    progress(i, { state: "sending" });
    const form = new FormData();
    form.append("image", files[i], files[i].name);
    try {
      const r = await api<ResponseOf<"enrolFace">>(
        "POST",
        `/api/v1/persons/${encodeURIComponent(personId)}/faces`,
        form,
      );
      out[i] = { state: "enrolled", quality: r.quality };
    } catch (e) {
      out[i] = { state: "refused", reason: refusal(e) };
    }
    progress(i, out[i]);
  }
  return out;
}
