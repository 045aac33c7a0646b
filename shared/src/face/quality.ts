/**
 * Per-face quality figures and one combined score in [0, 1] used to pick best shots and to
 * refuse poor enrolment photos. Pure functions over numbers the pipeline already has.
 *
 * Combined score: the product of five factors, each in [0, 1], so one bad aspect (a profile
 * view, motion blur, a 20 px face) pulls the whole score down, as it pulls recognition down:
 *   detection  = clamp((detScore - 0.5) / 0.45)          (0.95+ is a clear face)
 *   size       = smoothstep(24, 80, interocular px * 2.5) (about the face width; 80+ px is plenty)
 *   sharpness  = lapVar / (lapVar + 60)                    (variance of the Laplacian on the aligned 112x112 grey)
 *   pose       = (1 - (yaw/60)^2)+ * (1 - (pitch/45)^2)+   (roll is undone by alignment, so it is free)
 *   exposure   = brightness in [40, 215] and contrast >= 20 give 1, falling linearly to 0
 */
import { meanPoint, type Point } from "./geometry.ts";

export interface FaceQuality {
  /** Combined score in [0, 1]. */
  score: number;
  /** Detector face probability. */
  detScore: number;
  /** Face size in source pixels (box height). */
  sizePx: number;
  /** Distance between the eye centers in source pixels. */
  interocularPx: number;
  /** Variance of the Laplacian of the aligned grey face (higher is sharper). */
  sharpness: number;
  /** Head pose in degrees estimated from the landmarks (calibrated to fr_pose.onnx; roll = eye-line angle). */
  yaw: number;
  pitch: number;
  roll: number;
  /** Mean and standard deviation of the aligned grey face, 0-255. */
  brightness: number;
  contrast: number;
}

const clamp01 = (x: number) => (x < 0 ? 0 : Math.min(x, 1));
const smoothstep = (a: number, b: number, x: number) => {
  const t = clamp01((x - a) / (b - a));
  return t * t * (3 - 2 * t);
};

/**
 * Yaw, pitch and roll in degrees from 68 landmarks, at no model cost. Roll is the angle of the eye
 * line (what alignment undoes). After undoing roll, yaw comes from where the nose tip sits between
 * the jaw contours and pitch from where it sits between the eye line and the mouth line; both are
 * linear fits against fr_pose.onnx (Hopenet-style, RGB input; its sign conventions) on 270 faces of
 * LFW and the group photos, with residual standard deviations of 7.5 degrees (yaw) and 6.2 (pitch).
 */
export function poseFromLandmarks(lm: readonly Point[]): { yaw: number; pitch: number; roll: number } {
  const eyeL = meanPoint(lm, 36, 41);
  const eyeR = meanPoint(lm, 42, 47);
  const roll = Math.atan2(eyeR[1] - eyeL[1], eyeR[0] - eyeL[0]);
  const c = Math.cos(-roll);
  const s = Math.sin(-roll);
  const rot = (p: Point): Point => [c * p[0] - s * p[1], s * p[0] + c * p[1]];
  const nose = rot(lm[30]);
  const jawL = rot(lm[2]);
  const jawR = rot(lm[14]);
  const eyeMid = rot([(eyeL[0] + eyeR[0]) / 2, (eyeL[1] + eyeR[1]) / 2]);
  const mouthMid = rot([(lm[48][0] + lm[54][0]) / 2, (lm[48][1] + lm[54][1]) / 2]);
  const dl = nose[0] - jawL[0];
  const dr = jawR[0] - nose[0];
  const yawRatio = (dl - dr) / Math.max(Math.abs(dl) + Math.abs(dr), 1e-6);
  const pitchRatio = (nose[1] - eyeMid[1]) / Math.max(mouthMid[1] - eyeMid[1], 1e-6);
  return {
    yaw: clamp(-35.7 * yawRatio - 0.6, -90, 90),
    pitch: clamp(-50.5 * pitchRatio + 16.8, -90, 90),
    roll: (roll * 180) / Math.PI,
  };
}

function clamp(x: number, lo: number, hi: number) {
  return x < lo ? lo : Math.min(x, hi);
}

/** Brightness, contrast and variance of the 4-neighbour Laplacian of a grey image (0-255 values). */
export function imageStats(grey: Float32Array, width: number, height: number) {
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < grey.length; i++) {
    sum += grey[i];
    sum2 += grey[i] * grey[i];
  }
  const n = grey.length;
  const brightness = sum / n;
  const contrast = Math.sqrt(Math.max(0, sum2 / n - brightness * brightness));
  let ls = 0;
  let ls2 = 0;
  let m = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = grey[i - 1] + grey[i + 1] + grey[i - width] + grey[i + width] - 4 * grey[i];
      ls += l;
      ls2 += l * l;
      m++;
    }
  }
  const lm = ls / Math.max(m, 1);
  const sharpness = ls2 / Math.max(m, 1) - lm * lm;
  return { brightness, contrast, sharpness };
}

/** Everything the combined score is computed from. */
export type QualityInputs = Omit<FaceQuality, "score">;

export function combineQuality(q: QualityInputs): FaceQuality {
  const det = clamp01((q.detScore - 0.5) / 0.45);
  const size = smoothstep(24, 80, q.interocularPx * 2.5);
  const sharp = q.sharpness / (q.sharpness + 60);
  const pose = clamp01(1 - (q.yaw / 60) ** 2) * clamp01(1 - (q.pitch / 45) ** 2);
  const bright = Math.min(clamp01((q.brightness - 15) / 25), clamp01((240 - q.brightness) / 25));
  const exposure = bright * clamp01(q.contrast / 20);
  return { ...q, score: det * size * sharp * pose * exposure };
}
