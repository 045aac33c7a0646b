/**
 * argus CLI: run the face pipeline on image files.
 *
 *   pnpm --silent cli detect|embed|compare|attributes <images...> [--json] [--min-face N] [--threads N]
 *
 * One process handles many files; an unreadable file yields an error record and the others go on.
 * Exit code: 0 when every file was processed, 1 when any failed, 2 on usage errors.
 * JSON output (--json) is one object per line; see the README for the format.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ArgusError, errorBody } from "../errors.ts";
import { cosine } from "../face/embed.ts";
import { type AnalyzedFace, FacePipeline } from "../face/pipeline.ts";
import { THRESHOLDS } from "../face/thresholds.ts";
import { decodeImage } from "../image/decode.ts";
import { Pyramid } from "../image/resample.ts";

const USAGE = `usage: argus <command> <images...> [options]

commands:
  detect       faces with box, score, five landmarks and quality
  embed        as detect, plus the 512-d embedding of each face
  compare      similarity of the largest face of each image with that of the first image
  attributes   estimated age and gender of each face

options:
  --json           one JSON object per line (the public format, see README)
  --min-face N     smallest face side to search for, in pixels (default 40; 20 for small photos)
  --threads N      threads per model run (default 2)
  --threshold T    similarity threshold for 'compare' (default ${THRESHOLDS.verify})`;

type Row = Record<string, unknown>;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function faceJson(f: AnalyzedFace, withEmbedding: boolean): Row {
  const q = f.quality;
  const row: Row = {
    box: f.box.map((v) => round(v, 1)),
    score: round(f.score, 4),
    landmarks5: f.landmarks5.map(([x, y]) => [round(x, 1), round(y, 1)]),
    quality: {
      score: round(q.score, 3),
      detScore: round(q.detScore, 4),
      sizePx: round(q.sizePx, 1),
      interocularPx: round(q.interocularPx, 1),
      sharpness: round(q.sharpness, 1),
      yaw: round(q.yaw, 1),
      pitch: round(q.pitch, 1),
      roll: round(q.roll, 1),
      brightness: round(q.brightness, 1),
      contrast: round(q.contrast, 1),
    },
  };
  if (f.attributes) row.attributes = { age: round(f.attributes.age, 1), gender: f.attributes.gender };
  if (withEmbedding && f.embedding) row.embedding = Array.from(f.embedding, (v) => round(v, 6));
  return row;
}

function human(file: string, width: number, height: number, faces: AnalyzedFace[]): string {
  const lines = [`${file}: ${width}x${height}, ${faces.length} face(s)`];
  faces.forEach((f, i) => {
    const b = f.box.map((v) => Math.round(v)).join(",");
    const q = f.quality;
    let s = `  #${i + 1} box [${b}] score ${f.score.toFixed(3)} quality ${q.score.toFixed(2)} (yaw ${q.yaw.toFixed(0)}, pitch ${q.pitch.toFixed(0)}, sharpness ${q.sharpness.toFixed(0)})`;
    if (f.attributes) s += ` age ~${f.attributes.age.toFixed(0)} ${f.attributes.gender}`;
    lines.push(s);
  });
  return lines.join("\n");
}

async function readImage(file: string) {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ArgusError(
      code === "ENOENT" ? "FILE_NOT_FOUND" : "INVALID_ARGUMENT",
      code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
  return decodeImage(buf);
}

const largest = (faces: AnalyzedFace[]) =>
  faces.reduce<AnalyzedFace | undefined>(
    (b, f) =>
      !b || (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) > (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) ? f : b,
    undefined,
  );

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values: opt, positionals } = parsed;
  const [command, ...files] = positionals;
  if (opt.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return opt.help ? 0 : 2;
  }
  if (!["detect", "embed", "compare", "attributes"].includes(command)) {
    process.stderr.write(`unknown command '${command}'\n\n${USAGE}\n`);
    return 2;
  }
  if (files.length === 0 || (command === "compare" && files.length < 2)) {
    process.stderr.write(`${command} needs ${command === "compare" ? "at least two images" : "image files"}\n`);
    return 2;
  }
  const minFace = Number(opt["min-face"] ?? 40);
  const threads = Number(opt.threads ?? 2);
  const threshold = Number(opt.threshold ?? THRESHOLDS.verify);
  for (const [name, v] of [
    ["--min-face", minFace],
    ["--threads", threads],
    ["--threshold", threshold],
  ] as const) {
    if (!Number.isFinite(v)) {
      process.stderr.write(`${name} must be a number\n`);
      return 2;
    }
  }

  const pipeline = await FacePipeline.create({ intraOpThreads: threads, attributes: command === "attributes" });
  const out = (row: Row | string) => process.stdout.write(`${typeof row === "string" ? row : JSON.stringify(row)}\n`);
  let failed = 0;
  let reference: { file: string; embedding: Float32Array } | undefined;

  for (const file of files) {
    try {
      const img = await readImage(file);
      const src = new Pyramid(img);
      const faces = await pipeline.process(src, {
        minFaceSize: minFace,
        embed: command === "embed" || command === "compare",
        attributes: command === "attributes",
      });
      if (command === "compare") {
        const f = largest(faces);
        if (!f?.embedding) throw new ArgusError("NO_FACE", `no face found in ${file}`);
        if (!reference) {
          reference = { file, embedding: f.embedding };
          if (!opt.json) out(`${file}: reference`);
          continue;
        }
        const similarity = cosine(reference.embedding, f.embedding);
        const same = similarity >= threshold;
        if (opt.json) out({ a: reference.file, b: file, similarity: round(similarity, 4), same, threshold });
        else
          out(
            `${file}: similarity ${similarity.toFixed(3)} -> ${same ? "same person" : "different people"} (threshold ${threshold})`,
          );
        continue;
      }
      if (opt.json) {
        out({
          file,
          width: img.width,
          height: img.height,
          faces: faces.map((f) => faceJson(f, command === "embed")),
        });
      } else {
        out(human(file, img.width, img.height, faces));
      }
    } catch (e) {
      failed++;
      const error = errorBody(e);
      if (opt.json) out({ file, error });
      else process.stderr.write(`${file}: error ${error.code}: ${error.message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      "min-face": { type: "string" },
      threads: { type: "string" },
      threshold: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    const { code, message } = errorBody(e);
    process.stderr.write(`argus: ${code}: ${message}\n`);
    process.exitCode = 1;
  },
);
