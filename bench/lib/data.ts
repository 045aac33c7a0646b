/** Locating and reading ../shared/data for benchmarks and tests. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** ../shared/data beside the checkout, or $ARGUS_DATA_DIR. */
export const DATA_DIR = process.env.ARGUS_DATA_DIR ?? resolve(repoRoot, "../shared/data");

export function requireData(sub = ""): string {
  const p = join(DATA_DIR, sub);
  if (!existsSync(p)) {
    console.error(
      `data not found at ${p}: this needs ../shared/data beside the checkout (see ../shared/data/README.md) or ARGUS_DATA_DIR`,
    );
    process.exit(2);
  }
  return p;
}

export interface LfwPair {
  fold: number;
  same: boolean;
  a: string;
  b: string;
}

const lfwFile = (name: string, n: number) => join(name, `${name}_${String(n).padStart(4, "0")}.jpg`);

/** The View 2 pairs file: header "<folds> <n>", then per fold n same-person and n different-person lines. */
export function readLfwPairs(path: string): { folds: number; pairs: LfwPair[] } {
  const lines = readFileSync(path, "utf8").trim().split(/\r?\n/);
  const [folds, n] = lines[0].trim().split(/\s+/).map(Number);
  const pairs: LfwPair[] = [];
  let i = 1;
  for (let f = 0; f < folds; f++) {
    for (let k = 0; k < 2 * n; k++, i++) {
      const t = lines[i].trim().split(/\s+/);
      if (t.length === 3) pairs.push({ fold: f, same: true, a: lfwFile(t[0], +t[1]), b: lfwFile(t[0], +t[2]) });
      else if (t.length === 4) pairs.push({ fold: f, same: false, a: lfwFile(t[0], +t[1]), b: lfwFile(t[2], +t[3]) });
      else throw new Error(`${path}:${i + 1}: unexpected pair line '${lines[i]}'`);
    }
  }
  return { folds, pairs };
}

/** Boxes of the dlib imglab XML files (testing.xml, training.xml). */
export function readDlibBoxes(path: string): { file: string; boxes: [number, number, number, number][] }[] {
  const xml = readFileSync(path, "latin1");
  const out: { file: string; boxes: [number, number, number, number][] }[] = [];
  for (const m of xml.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes: [number, number, number, number][] = [];
    for (const b of m[2].matchAll(/<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'/g)) {
      const [top, left, w, h] = [+b[1], +b[2], +b[3], +b[4]];
      boxes.push([left, top, left + w, top + h]);
    }
    out.push({ file: m[1], boxes });
  }
  return out;
}
