/**
 * The face pipeline shared by the agent (video frames) and the server (uploaded photos):
 * detect -> landmarks -> align -> quality -> embed (+ optional age/gender).
 *
 * Detection and analysis are separate calls so the agent can run the cheap part (detect,
 * landmarks, quality) on every analyzed frame and the expensive embedding only on chosen shots.
 */

import type { InferenceSession } from "onnxruntime-node";
import { copyRgb, cropAffine, Pyramid, warpToRgb } from "../image/resample.ts";
import { type Rect, type RgbImage, rgbImage } from "../image/types.ts";
import { getSession, type ModelName, type SessionOptions } from "../models/registry.ts";
import { StageTimes } from "../util/stats.ts";
import { ALIGN_SIZE, alignmentAffine, alignmentTransform } from "./align.ts";
import { AttributeModel, type Attributes } from "./attributes.ts";
import {
  DEFAULT_DETECT_OPTIONS,
  type Detection,
  type DetectOptions,
  type DetectorOptions,
  FaceDetector,
} from "./detect.ts";
import { Embedder } from "./embed.ts";
import { type FaceGeometry, faceGeometry, SECOND_LOOK_SIZE, type SecondLook, secondLookScore } from "./faceCheck.ts";
import { type Box, boxHeight, type Point } from "./geometry.ts";
import { DEFAULT_LANDMARK_OPTIONS, fivePoints, LandmarkModel, type LandmarkOptions } from "./landmarks.ts";
import { combineQuality, type FaceQuality, imageStats, poseFromLandmarks } from "./quality.ts";

export interface PipelineOptions extends SessionOptions {
  /** Load the age and gender models. */
  attributes?: boolean;
  /** Plane order of the embedder's input; "bgr" is what fr_feature was trained on (benchmarks only change it). */
  channelOrder?: "bgr" | "rgb";
  landmarks?: Partial<LandmarkOptions>;
  /** How regions are resampled for the detector (benchmarks compare them). */
  detector?: Partial<DetectorOptions>;
  /**
   * Let other work of this thread run before each model run (FacePool workers: an embedding for a
   * chosen shot then runs between the detector views of a frame instead of after the whole frame).
   */
  yieldBetweenRuns?: boolean;
}

export interface AnalyzedFace {
  box: Box;
  score: number;
  landmarks68: Point[];
  /** Eye centers, nose tip, mouth corners, in source pixels. */
  landmarks5: Point[];
  /** The aligned 112x112 RGB face (the embedder's input, and the crop sent in events). */
  aligned: RgbImage;
  quality: FaceQuality;
  /** Landmark figures for the face check (shared/src/face/faceCheck.ts). */
  geometry?: FaceGeometry;
  /** The face check's second look (detector scores on the aligned face), when asked for. */
  secondLook?: SecondLook;
  embedding?: Float32Array;
  attributes?: Attributes;
}

export interface EmbedOptions {
  /**
   * Also give each face its second look (`secondLook`): one batched detector run on the padded
   * aligned crops and the given context canvases (contextCanvas; per face, or undefined). Faces
   * that already have an embedding then keep it.
   */
  check?: boolean;
  contexts?: (RgbImage | undefined)[];
}

export interface FrameOptions extends Partial<DetectOptions> {
  /** Detections at least this high (px) are analyzed; smaller ones are only detected. Default: minFaceSize. */
  analyzeMinSize?: number;
  /** Also embed every analyzed face, all in one batched model run (same call, same worker). Default: false. */
  embed?: boolean;
}

/** A detection of a frame, with its landmarks, aligned crop and quality when it was analyzed. */
export interface FrameDetection extends Detection {
  face?: AnalyzedFace;
}

export interface ProcessOptions extends Partial<DetectOptions> {
  attributes?: boolean;
  embed?: boolean;
}

/**
 * The calls the agent and the server make, served in process by a FacePipeline or in worker
 * threads by a FacePool (shared/src/face/pool.ts), which runs a FacePipeline in each worker.
 */
export interface FaceEngine {
  /** Detection plus landmarks, alignment and quality of each large enough face; no embedding. */
  analyzeFrame(image: RgbImage, options?: FrameOptions): Promise<FrameDetection[]>;
  /**
   * Computes the embedding of each face (in place) from its aligned crop, all in one batched model
   * run; with `check`, also its second-look score (one batched detector run, same call).
   */
  embed(faces: AnalyzedFace[], options?: EmbedOptions): Promise<AnalyzedFace[]>;
  /** detect + analyze + embed (+ attributes): everything for a photo. */
  process(image: RgbImage, options?: ProcessOptions): Promise<AnalyzedFace[]>;
}

export class FacePipeline implements FaceEngine {
  readonly times = new StageTimes();
  private constructor(
    readonly detector: FaceDetector,
    readonly landmarker: LandmarkModel,
    readonly embedder: Embedder,
    readonly attributeModel: AttributeModel | undefined,
    private readonly landmarkOptions: LandmarkOptions,
    private readonly channelOrder: "bgr" | "rgb",
  ) {}

  /** Loads (and checksum-verifies) the models; sessions are shared process-wide. */
  static async create(opts: PipelineOptions = {}): Promise<FacePipeline> {
    const session = async (name: ModelName) => {
      const s = await getSession(name, opts);
      return opts.yieldBetweenRuns ? yielding(s) : s;
    };
    const [det, lm, feat] = await Promise.all([
      session("detectDynamic"),
      session("landmarkBatch"),
      session("featureBatch"),
    ]);
    let attrs: AttributeModel | undefined;
    if (opts.attributes) {
      const [age, gender] = await Promise.all([session("age"), session("gender")]);
      attrs = new AttributeModel(age, gender);
    }
    return new FacePipeline(
      new FaceDetector(det, opts.detector),
      new LandmarkModel(lm),
      new Embedder(feat),
      attrs,
      { ...DEFAULT_LANDMARK_OPTIONS, ...opts.landmarks },
      opts.channelOrder ?? "bgr",
    );
  }

  /** Wraps an image so all stages of one frame share its downscaled levels. */
  static pyramid(image: RgbImage | Pyramid): Pyramid {
    return image instanceof Pyramid ? image : new Pyramid(image);
  }

  detect(image: RgbImage | Pyramid, options: Partial<DetectOptions> = {}): Promise<Detection[]> {
    const src = FacePipeline.pyramid(image);
    return this.times.time("detect", () => this.detector.detect(src, options));
  }

  /** Landmarks, alignment and quality for one detection (no embedding). */
  async analyzeOne(image: RgbImage | Pyramid, det: Detection): Promise<AnalyzedFace> {
    return (await this.analyze(image, [det]))[0];
  }

  /**
   * Landmarks, alignment and quality for each detection (no embedding): the landmarks of all
   * faces in two batched model runs. Stage times are recorded per face.
   */
  async analyze(image: RgbImage | Pyramid, dets: readonly Detection[]): Promise<AnalyzedFace[]> {
    if (dets.length === 0) return [];
    const src = FacePipeline.pyramid(image);
    const n = dets.length;
    const t0 = performance.now();
    const disagreement: number[] = [];
    const lms = await this.landmarker.predictMany(
      src,
      dets.map((d) => d.box),
      this.landmarkOptions,
      disagreement,
    );
    this.times.add("landmarks", (performance.now() - t0) / n);
    return dets.map((det, k) => {
      const lm = lms[k];
      const t1 = performance.now();
      const p5 = fivePoints(lm);
      const aligned = warpToRgb(src, alignmentAffine(alignmentTransform(p5)), ALIGN_SIZE, ALIGN_SIZE);
      this.times.add("align", performance.now() - t1);
      const t2 = performance.now();
      const grey = greyOf(aligned);
      const stats = imageStats(grey, ALIGN_SIZE, ALIGN_SIZE);
      const pose = poseFromLandmarks(lm);
      const quality = combineQuality({
        detScore: det.score,
        sizePx: boxHeight(det.box),
        interocularPx: Math.hypot(p5[1][0] - p5[0][0], p5[1][1] - p5[0][1]),
        ...stats,
        ...pose,
      });
      const geometry = faceGeometry(lm, det.box, disagreement[k] ?? Number.NaN, pose);
      this.times.add("quality", performance.now() - t2);
      return { box: det.box, score: det.score, landmarks68: lm, landmarks5: p5, aligned, quality, geometry };
    });
  }

  /** Detection, then landmarks, alignment and quality of the faces large enough (batched), and embeddings if asked. */
  async analyzeFrame(image: RgbImage | Pyramid, options: FrameOptions = {}): Promise<FrameDetection[]> {
    const src = FacePipeline.pyramid(checked(image));
    const dets: FrameDetection[] = await this.detect(src, options);
    const min = options.analyzeMinSize ?? options.minFaceSize ?? DEFAULT_DETECT_OPTIONS.minFaceSize;
    const large = dets.filter((d) => boxHeight(d.box) >= min);
    const faces = await this.analyze(src, large);
    large.forEach((d, k) => {
      d.face = faces[k];
    });
    if (options.embed) await this.embed(faces);
    return dets;
  }

  /** Computes the embedding of each face (in place) from its aligned crop, in one batched model run (and, with `check`, its second look). */
  async embed(faces: AnalyzedFace[], options: EmbedOptions = {}): Promise<AnalyzedFace[]> {
    const aligned = faces.map((f) => f.aligned);
    // With `check`, faces already embedded keep their embedding (only their second look is new).
    const todo = faces.map((_, k) => k).filter((k) => !options.check || !faces[k].embedding);
    const vecs = await this.embedMany(todo.map((k) => aligned[k]));
    const looks = options.check ? await this.secondLooks(aligned, options.contexts) : [];
    todo.forEach((k, i) => {
      faces[k].embedding = vecs[i];
    });
    if (options.check)
      faces.forEach((f, k) => {
        f.secondLook = looks[k];
      });
    return faces;
  }

  /** Both second looks of each face (padded crop, and context canvas when given), in one detector run. */
  async secondLooks(
    aligned: readonly RgbImage[],
    contexts: readonly (RgbImage | undefined)[] = [],
  ): Promise<SecondLook[]> {
    const ctx = contexts.map((c, k) => ({ c, k })).filter((x): x is { c: RgbImage; k: number } => x.c !== undefined);
    const scores = await this.secondLook([...aligned, ...ctx.map((x) => x.c)]);
    const out: SecondLook[] = aligned.map((_, k) => ({ padded: scores[k] }));
    ctx.forEach(({ k }, i) => {
      out[k].context = scores[aligned.length + i];
    });
    return out;
  }

  /**
   * The face check's second look (faceCheck.ts): each aligned 112x112 crop padded with mid-grey into
   * a SECOND_LOOK_SIZE square, all in one batched detector run; the score of a face centered on it.
   */
  async secondLook(aligned: readonly RgbImage[]): Promise<number[]> {
    if (aligned.length === 0) return [];
    const t0 = performance.now();
    const canvases = aligned.map((a) => (a.width === SECOND_LOOK_SIZE ? a : paddedCanvas(a)));
    const dets = await this.detector.runBatch(canvases, 0.05);
    this.times.add("secondLook", (performance.now() - t0) / aligned.length);
    return dets.map(secondLookScore);
  }

  /**
   * L2-normalized embeddings of aligned 112x112 faces (AnalyzedFace.aligned), in one batched model
   * run (up to MAX_EMBED_BATCH faces per run). The embed time is recorded per face.
   */
  async embedMany(aligned: readonly RgbImage[]): Promise<Float32Array[]> {
    if (aligned.length === 0) return [];
    const t0 = performance.now();
    const n = ALIGN_SIZE * ALIGN_SIZE;
    const batch = new Float32Array(aligned.length * 3 * n);
    aligned.forEach((a, k) => {
      alignedToTensor(a, batch, k * 3 * n, this.channelOrder === "bgr");
    });
    const vecs = await this.embedder.embed(batch, aligned.length);
    this.times.add("embed", (performance.now() - t0) / aligned.length);
    return vecs;
  }

  async attributes(image: RgbImage | Pyramid, faces: AnalyzedFace[]): Promise<AnalyzedFace[]> {
    if (!this.attributeModel) throw new Error("the pipeline was created without attributes: true");
    const src = FacePipeline.pyramid(image);
    for (const f of faces)
      f.attributes = await this.times.time("attributes", () => this.attributeModel!.predict(src, f.box));
    return faces;
  }

  /** detect + analyze + embed: everything for a photo. Faces are sorted by detector score. */
  async process(image: RgbImage | Pyramid, options: ProcessOptions = {}): Promise<AnalyzedFace[]> {
    const src = FacePipeline.pyramid(checked(image));
    const dets = await this.detect(src, options);
    const faces = await this.analyze(src, dets);
    if (options.embed !== false) await this.embed(faces);
    if (options.attributes) await this.attributes(src, faces);
    return faces;
  }
}

/** The region of `box` grown by `factor`, cut from the image as RGB (context crops for events). */
export function cropRegion(image: RgbImage | Pyramid, box: Box, factor: number, maxSide: number): RgbImage {
  const src = FacePipeline.pyramid(image);
  const { width, height } = src.base;
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * factor;
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(width, Math.round(cx + side / 2));
  const y1 = Math.min(height, Math.round(cy + side / 2));
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const s = Math.min(1, maxSide / Math.max(w, h));
  // Most context crops fit without resizing: a plain copy (same pixels, a fraction of the cost).
  if (s === 1) return copyRgb(src.base, x0, y0, w, h);
  const ow = Math.max(1, Math.round(w * s));
  const oh = Math.max(1, Math.round(h * s));
  return warpToRgb(src, cropAffine(x0, y0, w, h, ow, oh), ow, oh);
}

export type { Rect };

/**
 * The session with a `run` that first yields to the event loop (setImmediate: after pending
 * messages). onnxruntime-node runs synchronously, so without this a call's model runs follow each
 * other with no chance for another call of the thread to start.
 */
function yielding(session: InferenceSession): InferenceSession {
  const s: InferenceSession = Object.create(session);
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<InferenceSession.ReturnType>;
  s.run = async (...args: unknown[]) => {
    await new Promise<void>((r) => setImmediate(r));
    return run(...args);
  };
  return s;
}

/** The aligned 112x112 crop centered in a mid-grey SECOND_LOOK_SIZE square. */
export function paddedCanvas(a: RgbImage): RgbImage {
  const S = SECOND_LOOK_SIZE;
  const off = (S - ALIGN_SIZE) / 2;
  const data = new Uint8Array(S * S * 3).fill(127);
  for (let y = 0; y < ALIGN_SIZE; y++)
    data.set(a.data.subarray(y * ALIGN_SIZE * 3, (y + 1) * ALIGN_SIZE * 3), ((y + off) * S + off) * 3);
  return { data, width: S, height: S };
}

/**
 * The second look's canvas cut from an image (the frame, or a crop of it whose top-left corner is
 * at `origin` and `scale` image px per frame px): the aligned face at the center of a
 * SECOND_LOOK_SIZE square, with the image's own surroundings instead of padding.
 */
export function contextCanvas(
  image: RgbImage | Pyramid,
  landmarks5: readonly Point[],
  origin: Point = [0, 0],
  scale = 1,
): RgbImage {
  const S = SECOND_LOOK_SIZE;
  const off = (S - ALIGN_SIZE) / 2;
  const p5 = landmarks5.map(([x, y]): Point => [(x - origin[0]) * scale, (y - origin[1]) * scale]);
  const m = alignmentAffine(alignmentTransform(p5));
  const shifted: typeof m = [m[0], m[1], m[2] - off * (m[0] + m[1]), m[3], m[4], m[5] - off * (m[3] + m[4])];
  return warpToRgb(FacePipeline.pyramid(image), shifted, S, S);
}

/** Rejects an image whose buffer does not match its size (it would be read out of bounds). */
function checked(image: RgbImage | Pyramid): RgbImage | Pyramid {
  if (image instanceof Pyramid) return image;
  return rgbImage(image.data, image.width, image.height);
}

function greyOf(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2];
  return out;
}

/**
 * Interleaved RGB 0-255 to planar (v - 127) / 128 in B, G, R plane order, the embedder's input.
 * fr_feature was trained on OpenCV's BGR order: on LFW, BGR gives 99.50% where RGB gives 99.17%
 * (bench/lfw.ts --rgb).
 */
export function alignedToTensor(img: RgbImage, out: Float32Array, offset: number, bgr = true): void {
  const n = img.width * img.height;
  const d = img.data;
  const r = bgr ? 2 * n : 0;
  const b = bgr ? 0 : 2 * n;
  for (let i = 0; i < n; i++) {
    out[offset + r + i] = (d[3 * i] - 127) / 128;
    out[offset + n + i] = (d[3 * i + 1] - 127) / 128;
    out[offset + b + i] = (d[3 * i + 2] - 127) / 128;
  }
}
