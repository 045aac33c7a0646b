/**
 * The face check: is a detection really a face? The detector alone passes jackets, posters,
 * flags and hi-vis vests at scores above 0.9 on the sample videos; one such shot founds an
 * "Unknown #N" person that other false detections then join. Three independent looks, all cheap:
 *
 *   geometry     the 68 landmarks must be arranged like a face: eyes above the nose above the
 *                mouth, an eye distance and a landmark spread in proportion to the box, and the
 *                landmark model must give the same points on the mirrored crop (it does on faces;
 *                on textures its points wander)
 *   second look  the detector, run again on the aligned face, must find a face centered on it
 *                twice: on the aligned 112x112 crop padded with grey into a small canvas (a
 *                texture rarely stays a face once cut out and aligned), and on the same
 *                alignment with the face's own surroundings instead of the padding (faces with
 *                little contrast to the grey, such as grey hair, need their head around them)
 *   pose         yaw and pitch from the landmarks within limits (a profile is not identifiable)
 *
 * Thresholds are chosen on real data by bench/face-check.ts (non-faces from the sample videos'
 * labels and the group photos' false detections; faces from LFW, bbt and the videos' labelled
 * faces); see DEFAULT_FACE_CHECK_LIMITS. Pure functions here; the detector pass lives in
 * pipeline.ts (FacePipeline.secondLook).
 */
import { ALIGN_SIZE } from "./align.ts";
import type { Detection } from "./detect.ts";
import { type Box, boxCenter, boxHeight, boxWidth, meanPoint, type Point } from "./geometry.ts";

/** Landmark figures of one face (computed in FacePipeline.analyze, at no model cost). */
export interface FaceGeometry {
  /** Eye distance over box width. */
  eyeBox: number;
  /** Vertical eye-line to nose-tip gap over eye distance (after undoing roll): > 0 on faces. */
  eyeNose: number;
  /** Vertical nose-tip to mouth-line gap over eye distance: > 0 on faces. */
  noseMouth: number;
  /** Horizontal extent of the jaw contour (points 0-16) over box width. */
  spread: number;
  /** Mean disagreement of the re-centered and the mirrored landmark passes, over eye distance. */
  disagree: number;
  /** Degrees, from the landmarks (quality.ts poseFromLandmarks). */
  yaw: number;
  pitch: number;
  roll: number;
}

/** What the event carries: passed, the names of the failed checks, every score. */
export interface FaceCheck {
  passed: boolean;
  failed: string[];
  scores: Record<string, number>;
}

export interface FaceCheckLimits {
  eyeBox: [number, number];
  eyeNose: [number, number];
  noseMouth: [number, number];
  spread: [number, number];
  /** Largest pass disagreement. */
  disagree: number;
  /** Smallest detector score on the padded aligned crop. */
  secondLook: number;
  /** Smallest detector score on the aligned face in its surroundings (when known). */
  contextLook: number;
  /** Largest |yaw| and |pitch|, degrees. */
  yaw: number;
  pitch: number;
}

/**
 * Chosen with bench/face-check.ts (see its output in README.md, "Face check"): generous ranges
 * around what real faces (LFW, bbt, the videos' faces) show, tight enough that the non-faces of
 * the videos and the group photos fail.
 */
export const DEFAULT_FACE_CHECK_LIMITS: FaceCheckLimits = {
  eyeBox: [0.18, 0.75],
  eyeNose: [0.15, 1.6],
  noseMouth: [0.1, 1.3],
  spread: [0.55, 1.45],
  disagree: 0.2,
  secondLook: 0.3,
  contextLook: 0.5,
  yaw: 55,
  pitch: 45,
};

/** Landmark figures from the 68 points, the detection box and the pass disagreement. */
export function faceGeometry(
  lm: readonly Point[],
  box: Box,
  disagree: number,
  pose: { yaw: number; pitch: number; roll: number },
): FaceGeometry {
  const p = pose;
  const eyeL = meanPoint(lm, 36, 41);
  const eyeR = meanPoint(lm, 42, 47);
  const iod = Math.max(Math.hypot(eyeR[0] - eyeL[0], eyeR[1] - eyeL[1]), 1e-6);
  const a = Math.atan2(eyeR[1] - eyeL[1], eyeR[0] - eyeL[0]);
  const c = Math.cos(-a);
  const s = Math.sin(-a);
  const rotY = (q: Point) => s * q[0] + c * q[1];
  const rotX = (q: Point) => c * q[0] - s * q[1];
  const eyeY = rotY([(eyeL[0] + eyeR[0]) / 2, (eyeL[1] + eyeR[1]) / 2]);
  const noseY = rotY(lm[30]);
  const mouthY = rotY([(lm[48][0] + lm[54][0]) / 2, (lm[48][1] + lm[54][1]) / 2]);
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= 16; i++) {
    const x = rotX(lm[i]);
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
  }
  const bw = Math.max(boxWidth(box), 1e-6);
  return {
    eyeBox: iod / bw,
    eyeNose: (noseY - eyeY) / iod,
    noseMouth: (mouthY - noseY) / iod,
    spread: (maxX - minX) / bw,
    disagree: Number.isFinite(disagree) ? disagree : 0,
    yaw: p.yaw,
    pitch: p.pitch,
    roll: p.roll,
  };
}

/** Side of the canvas the aligned crop is padded into for the second look. */
export const SECOND_LOOK_SIZE = 160;

/**
 * The second look's score from the detector's detections on the padded aligned crop (canvas
 * pixels): the best score of a detection whose center lies near the aligned face's center and
 * whose height is that of a face at the template's scale; 0 when there is none.
 */
export function secondLookScore(dets: readonly Detection[]): number {
  const off = (SECOND_LOOK_SIZE - ALIGN_SIZE) / 2;
  // The ArcFace template's face: eyes at y 51.6, mouth at 92.3; the face box center about y 60.
  const cx = off + ALIGN_SIZE / 2;
  const cy = off + 60;
  let best = 0;
  for (const d of dets) {
    const [x, y] = boxCenter(d.box);
    const h = boxHeight(d.box);
    if (Math.abs(x - cx) > 0.2 * ALIGN_SIZE || Math.abs(y - cy) > 0.25 * ALIGN_SIZE) continue;
    if (h < 0.5 * ALIGN_SIZE || h > 1.6 * ALIGN_SIZE) continue;
    best = Math.max(best, d.score);
  }
  return best;
}

/** The second look's two scores (FacePipeline.secondLook on the padded crop and on the context canvas). */
export interface SecondLook {
  padded: number;
  context?: number;
}

/**
 * Checks a face by its geometry and (when known) its second-look scores. Failed check names:
 * `order` (eyes, nose and mouth out of order or out of proportion), `eyes` (eye distance out of
 * proportion to the box), `spread` (landmarks spread unlike a face), `landmarks` (the mirrored
 * pass disagrees), `second-look` (either look), `yaw`, `pitch`.
 */
export function checkFace(
  g: FaceGeometry,
  look: SecondLook | undefined,
  limits: FaceCheckLimits = DEFAULT_FACE_CHECK_LIMITS,
): FaceCheck {
  const failed: string[] = [];
  const within = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;
  if (!within(g.eyeNose, limits.eyeNose) || !within(g.noseMouth, limits.noseMouth)) failed.push("order");
  if (!within(g.eyeBox, limits.eyeBox)) failed.push("eyes");
  if (!within(g.spread, limits.spread)) failed.push("spread");
  if (g.disagree > limits.disagree) failed.push("landmarks");
  if (look && (look.padded < limits.secondLook || (look.context !== undefined && look.context < limits.contextLook)))
    failed.push("second-look");
  if (Math.abs(g.yaw) > limits.yaw) failed.push("yaw");
  if (Math.abs(g.pitch) > limits.pitch) failed.push("pitch");
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const scores: Record<string, number> = {
    eyeBox: r3(g.eyeBox),
    eyeNose: r3(g.eyeNose),
    noseMouth: r3(g.noseMouth),
    spread: r3(g.spread),
    disagree: r3(g.disagree),
    yaw: r3(g.yaw),
    pitch: r3(g.pitch),
  };
  if (look) scores.secondLook = r3(look.padded);
  if (look?.context !== undefined) scores.contextLook = r3(look.context);
  return { passed: failed.length === 0, failed, scores };
}
