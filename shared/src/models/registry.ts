/**
 * Loads the ONNX models named in models/manifest.json, verifying each file's sha256 first. One
 * InferenceSession per model per process: sessions are cached and shared by every caller.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { ArgusError } from "../errors.ts";

export type ModelName =
  | "detect"
  | "landmark"
  | "feature"
  | "pose"
  | "age"
  | "gender"
  | "liveness"
  | "eye"
  /** Derived at set-up from the fetched models (scripts/derive-models.mjs). */
  | "detectDynamic"
  | "landmarkBatch"
  | "featureBatch";

export interface ModelEntry {
  file: string;
  sha256: string;
  /** Set on models derived at set-up: the model they are derived from. */
  derivedFrom?: ModelName;
  input: { name: string; shape: (number | string)[] };
  preprocessing: string;
  outputs: Record<string, string>;
  required: boolean;
}

export interface Manifest {
  source: { package: string; version: string; path: string; license: string };
  models: Record<ModelName, ModelEntry>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Where models live: $ARGUS_MODELS_DIR, or models/ at the repository root. */
export function modelsDir(): string {
  return process.env.ARGUS_MODELS_DIR ? resolve(process.env.ARGUS_MODELS_DIR) : join(repoRoot, "models");
}

let manifestCache: Manifest | undefined;
export function loadManifest(): Manifest {
  manifestCache ??= JSON.parse(readFileSync(join(repoRoot, "models", "manifest.json"), "utf8")) as Manifest;
  return manifestCache;
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Checks a model file against the manifest; throws MODEL_MISSING / MODEL_CHECKSUM naming the file. */
export function verifyModelFile(name: ModelName, dir = modelsDir()): string {
  const entry = loadManifest().models[name];
  if (!entry) throw new ArgusError("MODEL_UNKNOWN", `no model named '${name}' in models/manifest.json`);
  const path = join(dir, entry.file);
  if (!existsSync(path)) {
    throw new ArgusError(
      "MODEL_MISSING",
      `model file ${path} is missing; run 'pnpm models' to ${entry.derivedFrom ? "derive" : "fetch"} it`,
      {
        file: path,
      },
    );
  }
  const got = sha256File(path);
  if (got !== entry.sha256) {
    throw new ArgusError(
      "MODEL_CHECKSUM",
      `model file ${path} has sha256 ${got}, but models/manifest.json expects ${entry.sha256}; delete it and run 'pnpm models'`,
      { file: path, expected: entry.sha256, actual: got },
    );
  }
  return path;
}

/** Identifies the embedding space: events and stored faces carry it so mixed models are never compared. */
export function featureModelId(): { id: string; sha256: string } {
  const e = loadManifest().models.feature;
  return { id: e.file.replace(/\.onnx$/, ""), sha256: e.sha256 };
}

export interface SessionOptions {
  /** Threads inside one model run. 1 suits many parallel streams; 2 lowers single-image latency. */
  intraOpThreads?: number;
  dir?: string;
}

/** onnxruntime options of every model session (benchmarks that load other model files use them too). */
export function ortSessionOptions(intraOpThreads = 1): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  };
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

export function getSession(name: ModelName, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const dir = opts.dir ?? modelsDir();
  const key = `${dir}\u0000${name}\u0000${opts.intraOpThreads ?? 1}`;
  let s = sessions.get(key);
  if (!s) {
    const path = verifyModelFile(name, dir);
    s = ort.InferenceSession.create(path, ortSessionOptions(opts.intraOpThreads));
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

export { ort };
