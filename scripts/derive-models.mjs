#!/usr/bin/env node
// Derives models from the fetched ones by editing their ONNX graphs (protobuf, no Python):
// - detectDynamic: fr_detect with free batch, height and width, RGB bytes in (normalized in the
//   graph), and its decoding tail cut off. It outputs the [background, face] logits (the softmax
//   costs 5% of a 1152x648 run; shared/src/face/anchors.ts takes the sigmoid of their difference
//   where needed) and the raw box regressions; anchors.ts makes the anchors for the input size and
//   decodes the boxes (the original bakes 4,420 anchors for 320x240 into constants, so nothing after the
//   regressions can run at another size).
// - featureBatch, landmarkBatch: fr_feature and fr_landmark with a free batch dimension (the
//   embedder's one Reshape to a constant [1, -1] becomes [0, -1]); the embedder's PRelu nodes
//   become per-channel 1x1 Convs, Relu and Add, which onnxruntime runs a third faster (same
//   outputs to float rounding).
// Deterministic: the same source bytes give the same output bytes (protobufjs writes fields in
// field-number order; nothing here depends on time or on iteration order of a Map or Set).
//
//   node scripts/derive-models.mjs              derive what is missing or stale, check against the manifest
//   node scripts/derive-models.mjs --manifest   derive and write the new sha256 values into models/manifest.json
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const Dim = onnx.TensorShapeProto.Dimension;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

class DeriveError extends Error {}

/** Dimension i of a graph input or output set to the named free dimension. */
function freeDim(valueInfo, i, name) {
  const dims = valueInfo.type.tensorType.shape.dim;
  if (i >= dims.length) throw new DeriveError(`${valueInfo.name} has no dimension ${i}`);
  dims[i] = Dim.create({ dimParam: name });
}

/** Drops the nodes and initializers that no graph output depends on. */
function prune(graph) {
  const needed = new Set(graph.output.map((o) => o.name));
  const keep = [];
  for (let k = graph.node.length - 1; k >= 0; k--) {
    const n = graph.node[k];
    if (!n.output.some((o) => needed.has(o))) continue;
    keep.push(n);
    for (const i of n.input) if (i) needed.add(i);
  }
  graph.node = keep.reverse();
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  // Older exporters list initializers among the inputs too.
  graph.input = graph.input.filter((i) => needed.has(i.name));
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
}

function int64Tensor(name, values) {
  const raw = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => {
    raw.writeBigInt64LE(BigInt(v), 8 * i);
  });
  return onnx.TensorProto.create({
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: raw,
  });
}

function int64Values(t) {
  if (t.rawData?.length) {
    const b = Buffer.from(t.rawData);
    return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(8 * i)));
  }
  return t.int64Data.map(Number);
}

function note(model, text, sourceSha) {
  model.docString = `${text} Derived by Argus scripts/derive-models.mjs from a model with sha256 ${sourceSha}.`;
}

/**
 * Makes the graph take RGB bytes [batch, height, width, 3]: Transpose (on bytes, 4x less memory
 * than on floats) -> Cast -> Pad with 127 -> the first Conv, unpadded, with the normalization
 * (v - 127) / 128 folded into its weights and bias. Padding with 127 is padding the normalized
 * input with 0, as the Conv's own padding did, so the outputs are the same to float rounding; it
 * saves two passes over the float image (3% of a 1152x648 run).
 */
function prependImageInput(g, input) {
  const first = g.node.filter((n) => n.input[0] === input.name);
  if (first.length !== 1 || first[0].opType !== "Conv") throw new DeriveError("expected one Conv on the input");
  const conv = first[0];
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const [w, b] = [inits.get(conv.input[1]), inits.get(conv.input[2])];
  const pads = conv.attribute.find((a) => a.name === "pads");
  if (!w || !b || !pads) throw new DeriveError(`Conv ${conv.name}: expected constant weights, bias and pads`);
  const wv = floatValues(w);
  const bv = floatValues(b);
  const per = wv.length / bv.length;
  const scale = 1 / 128;
  const sums = bv.map((_, o) => wv.slice(o * per, (o + 1) * per).reduce((acc, v) => acc + v, 0));
  g.initializer.push(
    floatTensor(
      `${w.name}_bytes`,
      w.dims,
      wv.map((v) => v * scale),
    ),
    floatTensor(
      `${b.name}_bytes`,
      b.dims,
      bv.map((v, o) => v - 127 * scale * sums[o]),
    ),
  );
  const [top, left, bottom, right] = pads.ints.map(Number);
  pads.ints = [0, 0, 0, 0];
  conv.input = ["image_padded", `${w.name}_bytes`, `${b.name}_bytes`];
  input.name = "image";
  input.type.tensorType.elemType = onnx.TensorProto.DataType.UINT8;
  input.type.tensorType.shape.dim = [
    Dim.create({ dimParam: "batch" }),
    Dim.create({ dimParam: "height" }),
    Dim.create({ dimParam: "width" }),
    Dim.create({ dimValue: 3 }),
  ];
  const T = onnx.AttributeProto.AttributeType;
  const attr = (a) => onnx.AttributeProto.create(a);
  g.node.unshift(
    onnx.NodeProto.create({
      name: "image_nchw",
      opType: "Transpose",
      input: ["image"],
      output: ["image_planes"],
      attribute: [attr({ name: "perm", type: T.INTS, ints: [0, 3, 1, 2] })],
    }),
    onnx.NodeProto.create({
      name: "image_cast",
      opType: "Cast",
      input: ["image_planes"],
      output: ["image_float"],
      attribute: [attr({ name: "to", type: T.INT, i: onnx.TensorProto.DataType.FLOAT })],
    }),
    onnx.NodeProto.create({
      name: "image_pad",
      opType: "Pad",
      input: ["image_float"],
      output: ["image_padded"],
      attribute: [
        attr({ name: "mode", type: T.STRING, s: Buffer.from("constant") }),
        attr({ name: "pads", type: T.INTS, ints: [0, 0, top, left, 0, 0, bottom, right] }),
        attr({ name: "value", type: T.FLOAT, f: 127 }),
      ],
    }),
  );
}

/**
 * fr_detect: input `image`, RGB bytes [batch, height, width, 3] (no JavaScript conversion; see
 * prependImageInput);
 * outputs logits [batch, anchors, 2] (before the softmax) and locations [batch, anchors, 4] (the
 * Concat of the regression heads, before any anchor arithmetic).
 */
export function deriveDetector(bytes) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const softmax = g.node.filter((n) => n.opType === "Softmax" && n.output[0] === "scores");
  if (softmax.length !== 1) throw new DeriveError("fr_detect: expected one Softmax producing 'scores'");
  const scoreConcat = softmax[0].input[0];
  // The regression Concat: the other axis-1 Concat feeding the box arithmetic (Slice nodes).
  const consumers = (name) => g.node.filter((n) => n.input.includes(name));
  const loc = g.node.filter(
    (n) =>
      n.opType === "Concat" &&
      n.output[0] !== scoreConcat &&
      n.attribute.some((a) => a.name === "axis" && Number(a.i) === 1) &&
      consumers(n.output[0]).some((c) => c.opType === "Slice"),
  );
  if (loc.length !== 1) throw new DeriveError(`fr_detect: expected one regression Concat, found ${loc.length}`);
  const scores = g.output.find((o) => o.name === "scores");
  const boxes = g.output.find((o) => o.name === "boxes");
  if (!scores || !boxes) throw new DeriveError("fr_detect: expected outputs 'scores' and 'boxes'");
  // Outputs: the two Concats, renamed. The Softmax goes too: a two-class softmax is the sigmoid of
  // the logits' difference, computed in JavaScript for the few anchors above the threshold.
  const rename = { [scoreConcat]: "logits", [loc[0].output[0]]: "locations" };
  for (const n of g.node) {
    n.input = n.input.map((i) => rename[i] ?? i);
    n.output = n.output.map((o) => rename[o] ?? o);
  }
  scores.name = "logits";
  boxes.name = "locations";
  for (const o of [scores, boxes]) {
    freeDim(o, 0, "batch");
    freeDim(o, 1, "anchors");
  }
  g.output = [scores, boxes];
  const input = g.input.find((i) => i.name === "input");
  if (!input) throw new DeriveError("fr_detect: expected an input named 'input'");
  prependImageInput(g, input);
  prune(g);
  note(
    model,
    "fr_detect with RGB bytes in ([batch, height, width, 3], any size) and free batch; outputs [background, face] logits and raw box regressions (center variance 0.1, size variance 0.2) per anchor.",
    sha256(bytes),
  );
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A model with a free batch dimension. A Reshape to a constant [1, ...] becomes [0, ...]: 0 copies
 * the input's first dimension, the batch (fr_feature's [1, -1] already has its -1).
 */
export function deriveBatch(bytes, label) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  for (const v of [...g.input.filter((i) => i.name === "input"), ...g.output]) freeDim(v, 0, "batch");
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const n of g.node) {
    if (n.opType !== "Reshape") continue;
    const shape = inits.get(n.input[1]);
    if (!shape) throw new DeriveError(`${label}: Reshape ${n.name} has a computed shape; not handled`);
    const v = int64Values(shape);
    if (v[0] !== 1) throw new DeriveError(`${label}: Reshape to [${v}] does not start with a batch of 1`);
    const name = `${n.input[1]}_batch`;
    g.initializer.push(int64Tensor(name, [0, ...v.slice(1)]));
    n.input[1] = name;
  }
  prune(g);
  note(model, `${label} with a free batch dimension.`, sha256(bytes));
  return onnx.ModelProto.encode(model).finish();
}

function floatValues(t) {
  if (t.rawData?.length) {
    const b = Buffer.from(t.rawData);
    return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));
  }
  return [...t.floatData];
}

function floatTensor(name, dims, values) {
  const raw = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => {
    raw.writeFloatLE(v, 4 * i);
  });
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
}

/**
 * PRelu(x) = x + (1 - a) * Relu(-x), written as a per-channel 1x1 Conv (weights -1) with its Relu,
 * a second one (weights 1 - a) and an Add. onnxruntime keeps those in its blocked (NCHWc) layout
 * and fuses the Relu and the Add into the Convs; its own PRelu is not, and the layout conversions
 * around each one cost more than the PRelu itself (bench:speed, batching: 7.8 -> 4.9 ms per face).
 */
function rewritePRelu(g) {
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const nodes = [];
  let rewritten = 0;
  for (const n of g.node) {
    const slope = n.opType === "PRelu" ? inits.get(n.input[1]) : undefined;
    if (!slope) {
      nodes.push(n);
      continue;
    }
    const a = floatValues(slope);
    const [x, y] = [n.input[0], n.output[0]];
    const perChannel = (name, values) => {
      g.initializer.push(floatTensor(name, [values.length, 1, 1, 1], values));
      return name;
    };
    const attr = [
      onnx.AttributeProto.create({ name: "group", type: onnx.AttributeProto.AttributeType.INT, i: a.length }),
      onnx.AttributeProto.create({ name: "kernel_shape", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1] }),
    ];
    const neg = perChannel(
      `${y}_neg_w`,
      a.map(() => -1),
    );
    const rest = perChannel(
      `${y}_slope_w`,
      a.map((v) => 1 - v),
    );
    nodes.push(
      onnx.NodeProto.create({
        name: `${n.name}_neg`,
        opType: "Conv",
        input: [x, neg],
        output: [`${y}_neg`],
        attribute: attr,
      }),
      onnx.NodeProto.create({ name: `${n.name}_relu`, opType: "Relu", input: [`${y}_neg`], output: [`${y}_relu`] }),
      onnx.NodeProto.create({
        name: `${n.name}_scale`,
        opType: "Conv",
        input: [`${y}_relu`, rest],
        output: [`${y}_scaled`],
        attribute: attr,
      }),
      onnx.NodeProto.create({ name: `${n.name}_add`, opType: "Add", input: [x, `${y}_scaled`], output: [y] }),
    );
    rewritten++;
  }
  g.node = nodes;
  return rewritten;
}

/** fr_feature with a free batch and its PRelu nodes as Mul + Max. */
export function deriveEmbedder(bytes) {
  const model = onnx.ModelProto.decode(deriveBatch(bytes, "fr_feature"));
  const n = rewritePRelu(model.graph, "fr_feature");
  if (n === 0) throw new DeriveError("fr_feature: no PRelu rewritten");
  prune(model.graph);
  note(
    model,
    `fr_feature with a free batch dimension; its ${n} PRelu nodes as Mul + Max (same outputs).`,
    sha256(bytes),
  );
  return onnx.ModelProto.encode(model).finish();
}

export const DERIVE = {
  detectDynamic: deriveDetector,
  featureBatch: deriveEmbedder,
  landmarkBatch: (b) => deriveBatch(b, "fr_landmark"),
};

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Derives each manifest model with a `derivedFrom` whose file is missing or stale, from its
 * (verified) source in `dir`. Returns the names derived. With `update`, writes the derived
 * sha256 values into the manifest instead of checking them.
 */
export function deriveModels(manifest, dir, { update = false, log = console.log } = {}) {
  const done = [];
  for (const [name, m] of Object.entries(manifest.models)) {
    if (!m.derivedFrom) continue;
    const target = join(dir, m.file);
    if (!update && existsSync(target) && sha256(readFileSync(target)) === m.sha256) continue;
    const derive = DERIVE[name];
    if (!derive) throw new DeriveError(`no derivation for '${name}'`);
    const src = manifest.models[m.derivedFrom];
    const srcBytes = readFileSync(join(dir, src.file));
    if (sha256(srcBytes) !== src.sha256) throw new DeriveError(`${src.file} does not match its checksum`);
    const out = derive(srcBytes);
    const got = sha256(out);
    if (update) m.sha256 = got;
    else if (got !== m.sha256) {
      throw new DeriveError(
        `deriving ${m.file} gave sha256 ${got}, but models/manifest.json expects ${m.sha256}; refusing to install it`,
      );
    }
    // Write then rename so a crash never leaves a half-written model under its final name.
    const tmp = join(dir, `.${m.file}.tmp`);
    writeFileSync(tmp, out);
    renameSync(tmp, target);
    log(`models: derived ${m.file} from ${src.file} (sha256 ${got.slice(0, 12)}…)`);
    done.push(name);
  }
  return done;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const manifestPath = join(root, "models", "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const dir = process.env.ARGUS_MODELS_DIR ?? join(root, "models");
  const update = process.argv.includes("--manifest");
  try {
    deriveModels(manifest, dir, { update });
  } catch (e) {
    console.error(`models: ${e.message}`);
    process.exit(1);
  }
  if (update) {
    // Only the sha256 values change: the rest of the file keeps its layout.
    let text = readFileSync(manifestPath, "utf8");
    for (const m of Object.values(manifest.models)) {
      if (!m.derivedFrom) continue;
      const at = new RegExp(`("file": "${m.file.replace(/\./g, "\\.")}",\\s*"sha256": ")[0-9a-f]*"`);
      text = text.replace(at, `$1${m.sha256}"`);
    }
    writeFileSync(manifestPath, text);
  }
}
