/** A sighting's face crop as a button: every thumbnail in the console opens the sighting's detail. */
import type { Sighting } from "../api.ts";
import { Crop } from "../components.tsx";
import { formatTime } from "../format.ts";
import { openSighting } from "./open.ts";

export function SightingThumb({
  s,
  id,
  faceUrl,
  size,
  what,
}: {
  /** The sighting when the page has it; otherwise its id (the dialog loads it). */
  s?: Sighting;
  id?: string;
  faceUrl: string;
  size: number;
  /** For the button's accessible name, e.g. "Penny at Gate, 14:02". */
  what: string;
}) {
  const target = s ?? id;
  return (
    <button
      type="button"
      class="thumb-btn"
      aria-label={`Open sighting: ${what}`}
      title="Open this sighting"
      data-open-sighting={s?.id ?? id}
      onClick={() => target && openSighting(target)}
    >
      <Crop src={faceUrl} alt="" size={size} />
    </button>
  );
}

/** "Penny at Gate, 14:02:11" for a thumbnail's accessible name. */
export function sightingWhat(who: string, camera: string, iso: string): string {
  return `${who} at ${camera}, ${formatTime(iso)}`;
}
