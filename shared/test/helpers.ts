/** Test helpers: where ../shared/data is, and a skip with a clear message when it is absent. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DATA_DIR = process.env.ARGUS_DATA_DIR ?? resolve(REPO_ROOT, "../shared/data");
export const HAVE_DATA = existsSync(join(DATA_DIR, "faces"));
export const data = (...p: string[]) => join(DATA_DIR, ...p);

if (!HAVE_DATA) {
  console.warn(
    `[skip] real-face tests skipped: ${DATA_DIR} not found. They need ../shared/data beside the checkout ` +
      "(see its README.md for the sources: LFW, dlib, face-api.js, deepface) or ARGUS_DATA_DIR.",
  );
}
