/**
 * Similarity of a face to a person, shown as a bar with its value: a bare "46%" badge reads like a
 * 46 % probability and looks as sure as "100%". Until the server grades matches (strong, likely,
 * possible), the bar and the cosine value are what the console can say honestly.
 */
import { similarityValue } from "./format.ts";

const TITLE =
  "Cosine similarity of the face to the person's photos: 1.00 is the same photo; matches start at the " +
  "server's identification threshold. It is not a probability.";

export function Similarity({ value, founded }: { value: number | null | undefined; founded?: boolean }) {
  if (value === null || value === undefined)
    return <span class="sim sim-none">{founded ? "new person: first sighting" : "no match"}</span>;
  const v = Math.max(0, Math.min(1, value));
  const tone = v >= 0.8 ? "high" : v >= 0.6 ? "mid" : "low";
  return (
    <span class={`sim sim-${tone}`} title={TITLE} data-similarity={similarityValue(value)}>
      <svg class="sim-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect class="sim-track" x="0" y="0" width="100" height="8" rx="2" />
        <rect class="sim-fill" x="0" y="0" width={Math.max(2, v * 100)} height="8" rx="2" />
      </svg>
      <span class="sim-text">similarity {similarityValue(value)}</span>
    </span>
  );
}
