/**
 * Similarity of a face to a person, shown as a bar with its value and the server's grade of the match
 * (strong, likely, possible): a bare "46%" badge reads like a 46 % probability and looks as sure as
 * "100%"; the grade says how much to trust it. The bar's colour follows the grade when there is one.
 */
import type { Grade } from "@argus/shared/api/enums";
import { similarityValue } from "./format.ts";

const TITLE =
  "Cosine similarity of the face to the person's photos: 1.00 is the same photo; matches start at the " +
  "server's identification threshold. It is not a probability.";

export const GRADE_TEXT: Record<Grade, string> = {
  strong: "a strong match: a stranger very rarely scores this high in this gallery",
  likely: "a likely match: check the face before acting",
  possible: "a possible match only: often a different person, check the face",
};

/** The grade of a match as a small labelled badge. */
export function GradeBadge({ grade }: { grade: Grade | null | undefined }) {
  if (!grade) return null;
  return (
    <span class={`grade grade-${grade}`} title={GRADE_TEXT[grade]} data-grade={grade}>
      {grade}
    </span>
  );
}

export function Similarity({
  value,
  founded,
  grade,
}: {
  value: number | null | undefined;
  founded?: boolean;
  grade?: Grade | null;
}) {
  if (value === null || value === undefined)
    return <span class="sim sim-none">{founded ? "new person: first sighting" : "no match"}</span>;
  const v = Math.max(0, Math.min(1, value));
  const tone = grade
    ? { strong: "high", likely: "mid", possible: "low" }[grade]
    : v >= 0.8
      ? "high"
      : v >= 0.6
        ? "mid"
        : "low";
  return (
    <span class={`sim sim-${tone}`} title={TITLE} data-similarity={similarityValue(value)}>
      <svg class="sim-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect class="sim-track" x="0" y="0" width="100" height="8" rx="2" />
        <rect class="sim-fill" x="0" y="0" width={Math.max(2, v * 100)} height="8" rx="2" />
      </svg>
      <span class="sim-text">similarity {similarityValue(value)}</span>
      <GradeBadge grade={grade} />
    </span>
  );
}
