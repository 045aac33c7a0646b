// Static int8 quantization of a float ONNX model in QDQ form (protobuf editing, no Python), for
// onnxruntime's CPU provider, which fuses DequantizeLinear -> Conv -> QuantizeLinear into
// QLinearConv (u8 activations, s8 weights) and DequantizeLinear x2 -> Add -> QuantizeLinear into
// QLinearAdd at graphOptimizationLevel "all".
//
// - Conv weights: int8, symmetric per output channel (zero point 0, axis 0); bias int32 with scale
//   input scale x weight scale.
// - Activations: uint8, asymmetric, one scale and zero point per tensor, from calibration ranges
//   [min, max] (see bench/quant-embedder.ts); a QuantizeLinear -> DequantizeLinear pair after the
//   node that makes each tensor. A tensor read only by Relu is not quantized itself: the Relu's
//   output is (zero point 0, so onnxruntime drops the Relu into the Conv before it).
// Deterministic: every number is computed in the same order from the same inputs.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

export class QuantizeError extends Error {}

function floatValues(t) {
  if (t.rawData?.length) {
    const b = Buffer.from(t.rawData);
    return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));
  }
  return [...t.floatData];
}

function tensor(name, dims, dataType, values) {
  const size = { [DataType.FLOAT]: 4, [DataType.INT32]: 4, [DataType.INT8]: 1, [DataType.UINT8]: 1 }[dataType];
  const raw = Buffer.alloc(size * values.length);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new QuantizeError(`${name}: value ${v} at ${i}`);
    if (dataType === DataType.FLOAT) raw.writeFloatLE(v, 4 * i);
    else if (dataType === DataType.INT32) raw.writeInt32LE(v, 4 * i);
    else if (dataType === DataType.INT8) raw.writeInt8(v, i);
    else raw.writeUInt8(v, i);
  });
  return onnx.TensorProto.create({ name, dims, dataType, rawData: raw });
}

const OPSET = 13;
/** Smaller weights than this are zeros to the quantizer (float32's smallest normal is 1.2e-38). */
const TINY = 1e-30; // DequantizeLinear with a per-channel axis

function setOpset(model) {
  const def = model.opsetImport.find((o) => !o.domain);
  if (!def) throw new QuantizeError("model has no default-domain opset");
  if (Number(def.version) > OPSET) throw new QuantizeError(`opset ${def.version} is newer than ${OPSET}`);
  const supported = new Set(["Conv", "Relu", "Add", "Reshape"]);
  for (const n of model.graph.node) {
    if (!supported.has(n.opType)) throw new QuantizeError(`${n.opType} not checked for opset ${OPSET}`);
  }
  def.version = OPSET;
  if (Number(model.irVersion) < 7) model.irVersion = 7;
}

/** The activation tensors to quantize: the graph input and every node output but the graph's. */
export function activationTensors(graph) {
  const outputs = new Set(graph.output.map((o) => o.name));
  const names = graph.input.map((i) => i.name);
  for (const n of graph.node) for (const o of n.output) if (!outputs.has(o)) names.push(o);
  return names;
}

/** The float model with every activation tensor as an extra output, to record calibration ranges. */
export function exposeActivations(bytes, only) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const have = new Set(g.output.map((o) => o.name));
  for (const name of only ?? activationTensors(g)) {
    if (have.has(name) || g.input.some((i) => i.name === name)) continue;
    g.output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT } } }));
  }
  return onnx.ModelProto.encode(model).finish();
}

/** uint8 scale and zero point covering [min, max] (widened to include 0). */
export function activationParams([min, max]) {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zero };
}

/**
 * The QDQ model. `ranges` maps activation tensor names to [min, max]; `keepFloat` names Conv
 * nodes left in float (their weights, and their output).
 */
export function quantizeQdq(bytes, ranges, { keepFloat = [] } = {}) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  setOpset(model);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const consumers = new Map();
  for (const n of g.node) for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const producer = new Map();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const float = new Set(keepFloat);

  // Which tensors get a Q -> DQ pair.
  const quantized = new Map();
  for (const name of activationTensors(g)) {
    const users = consumers.get(name) ?? [];
    if (users.length > 0 && users.every((u) => u.opType === "Relu")) continue;
    const p = producer.get(name);
    if (p && float.has(p.name)) continue;
    const r = ranges[name];
    if (!r) throw new QuantizeError(`no calibration range for tensor '${name}'`);
    quantized.set(name, activationParams(r));
  }

  const nodes = [];
  const T = onnx.AttributeProto.AttributeType;
  const qdq = (name) => {
    const { scale, zero } = quantized.get(name);
    g.initializer.push(
      tensor(`${name}_scale`, [], DataType.FLOAT, [scale]),
      tensor(`${name}_zero`, [], DataType.UINT8, [zero]),
    );
    nodes.push(
      onnx.NodeProto.create({
        name: `${name}_Q`,
        opType: "QuantizeLinear",
        input: [name, `${name}_scale`, `${name}_zero`],
        output: [`${name}_q`],
      }),
      onnx.NodeProto.create({
        name: `${name}_DQ`,
        opType: "DequantizeLinear",
        input: [`${name}_q`, `${name}_scale`, `${name}_zero`],
        output: [`${name}_dq`],
      }),
    );
  };
  const read = (name) => (quantized.has(name) ? `${name}_dq` : name);
  for (const i of g.input) if (quantized.has(i.name)) qdq(i.name);

  let convs = 0;
  for (const n of g.node) {
    const x = n.input[0];
    n.input = n.input.map((i) => (inits.has(i) ? i : read(i)));
    if (n.opType === "Conv" && !float.has(n.name)) {
      if (!quantized.has(x)) throw new QuantizeError(`Conv ${n.name}: its input ${x} is not quantized`);
      const w = inits.get(n.input[1]);
      const wv = floatValues(w);
      const out = Number(w.dims[0]);
      const per = wv.length / out;
      const ws = [];
      const wq = new Array(wv.length);
      const b = n.input[2] ? inits.get(n.input[2]) : undefined;
      const bv = b ? floatValues(b) : [];
      const xs = quantized.get(x).scale;
      for (let c = 0; c < out; c++) {
        let m = 0;
        for (let k = 0; k < per; k++) m = Math.max(m, Math.abs(wv[c * per + k]));
        // Weights below float's normal range (dead channels) are zeros; a channel with (near) zero
        // weights and a bias gets a scale large enough for its int32 bias.
        if (m < TINY) m = 0;
        m = Math.max(m, (127 * Math.abs(bv[c] ?? 0)) / (xs * 2 ** 30));
        const s = Math.fround(m > 0 ? m / 127 : 1);
        ws.push(s);
        for (let k = 0; k < per; k++) wq[c * per + k] = Math.max(-127, Math.min(127, Math.round(wv[c * per + k] / s)));
      }
      const axis = [onnx.AttributeProto.create({ name: "axis", type: T.INT, i: 0 })];
      const wName = `${w.name}_q${convs}`;
      g.initializer.push(
        tensor(wName, w.dims, DataType.INT8, wq),
        tensor(`${wName}_scale`, [out], DataType.FLOAT, ws),
        tensor(
          `${wName}_zero`,
          [out],
          DataType.INT8,
          ws.map(() => 0),
        ),
      );
      nodes.push(
        onnx.NodeProto.create({
          name: `${wName}_DQ`,
          opType: "DequantizeLinear",
          input: [wName, `${wName}_scale`, `${wName}_zero`],
          output: [`${wName}_dq`],
          attribute: axis,
        }),
      );
      const ins = [n.input[0], `${wName}_dq`];
      if (b) {
        const bs = ws.map((s) => Math.fround(xs * s));
        const bq = bv.map((v, c) => Math.round(v / bs[c]));
        const bName = `${b.name}_q${convs}`;
        g.initializer.push(
          tensor(bName, b.dims, DataType.INT32, bq),
          tensor(`${bName}_scale`, [out], DataType.FLOAT, bs),
          tensor(
            `${bName}_zero`,
            [out],
            DataType.INT32,
            bs.map(() => 0),
          ),
        );
        nodes.push(
          onnx.NodeProto.create({
            name: `${bName}_DQ`,
            opType: "DequantizeLinear",
            input: [bName, `${bName}_scale`, `${bName}_zero`],
            output: [`${bName}_dq`],
            attribute: axis,
          }),
        );
        ins.push(`${bName}_dq`);
      }
      n.input = ins;
      convs++;
    }
    nodes.push(n);
    for (const o of n.output) if (quantized.has(o)) qdq(o);
  }
  g.node = nodes;
  // Drop the float weights no longer read.
  const read2 = new Set(g.node.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => read2.has(t.name));
  g.valueInfo = [];
  return { bytes: onnx.ModelProto.encode(model).finish(), convs, tensors: quantized.size };
}

function attrInt(n, name, dflt) {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
}

/**
 * The Conv pairs whose channels can be rescaled without changing the outputs: A (a Conv) makes
 * x; x goes to B (a Conv) directly or through a PRelu written as Conv/Relu/Conv/Add (see
 * derive-models.mjs rewritePRelu; PRelu(s x) = s PRelu(x) for s > 0), and nothing else reads x or
 * the PRelu's tensors. Scaling channel c of A's weights and bias by s and B's input channel c by
 * 1 / s leaves B's output as it was. Returns [{ a, b, x, y, depthwise }] (y: B's input).
 */
export function equalizablePairs(graph) {
  const consumers = new Map();
  for (const n of graph.node) for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(graph.output.map((o) => o.name));
  const only = (t) => (outputs.has(t) ? [] : (consumers.get(t) ?? []));
  const pairs = [];
  for (const a of graph.node) {
    if (a.opType !== "Conv" || a.name.endsWith("_neg") || a.name.endsWith("_scale")) continue;
    const x = a.output[0];
    let users = only(x);
    let y = x;
    if (users.length === 2) {
      const neg = users.find((u) => u.opType === "Conv" && u.name.endsWith("_neg"));
      const add = users.find((u) => u.opType === "Add");
      if (!neg || !add) continue;
      const relu = only(neg.output[0]);
      if (relu.length !== 1 || relu[0].opType !== "Relu") continue;
      const scale = only(relu[0].output[0]);
      if (scale.length !== 1 || !scale[0].name.endsWith("_scale")) continue;
      const sc = only(scale[0].output[0]);
      if (sc.length !== 1 || sc[0] !== add) continue;
      y = add.output[0];
      users = only(y);
    }
    if (users.length !== 1 || users[0].opType !== "Conv" || users[0].input[0] !== y) continue;
    const b = users[0];
    const depthwise = attrInt(b, "group", 1) !== 1;
    pairs.push({ a: a.name, b: b.name, x, y, depthwise });
  }
  return pairs;
}

/**
 * Cross-layer equalization: `exponents` maps a pair's x tensor to one integer e per channel; A's
 * output channel c is scaled by 2^e and B's input channel c by 2^-e (powers of two: exact in
 * float, so the float model's outputs do not change beyond rounding).
 */
export function equalize(bytes, exponents) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const byName = new Map(g.node.map((n) => [n.name, n]));
  const pairs = new Map(equalizablePairs(g).map((p) => [p.x, p]));
  const replace = (name, values) => {
    const t = inits.get(name);
    const fresh = tensor(`${name}_eq`, t.dims, DataType.FLOAT, values);
    g.initializer.push(fresh);
    inits.set(fresh.name, fresh);
    return fresh.name;
  };
  for (const [x, exps] of Object.entries(exponents)) {
    const p = pairs.get(x);
    if (!p) throw new QuantizeError(`tensor '${x}' is not between two equalizable Convs`);
    const a = byName.get(p.a);
    const b = byName.get(p.b);
    const aw = floatValues(inits.get(a.input[1]));
    const channels = exps.length;
    const per = aw.length / channels;
    if (!Number.isInteger(per)) throw new QuantizeError(`${x}: ${channels} exponents for Conv ${a.name}`);
    a.input[1] = replace(
      a.input[1],
      aw.map((v, i) => v * 2 ** exps[Math.floor(i / per)]),
    );
    if (a.input[2])
      a.input[2] = replace(
        a.input[2],
        floatValues(inits.get(a.input[2])).map((v, c) => v * 2 ** exps[c]),
      );
    const bt = inits.get(b.input[1]);
    const bw = floatValues(bt);
    const dims = bt.dims.map(Number);
    const k = dims[2] * dims[3];
    // Depthwise: channel c is output channel c (weights [C, 1, kh, kw]); else input channel c of [O, C, kh, kw].
    const channelOf = p.depthwise ? (i) => Math.floor(i / k) : (i) => Math.floor(i / k) % dims[1];
    b.input[1] = replace(
      b.input[1],
      bw.map((v, i) => v * 2 ** -exps[channelOf(i)]),
    );
  }
  const read = new Set(g.node.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => read.has(t.name));
  return onnx.ModelProto.encode(model).finish();
}

/** Adds per-output-channel `deltas` (a map from Conv name to numbers) to the Convs' biases. */
export function shiftBiases(bytes, deltas) {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const n of g.node) {
    const d = deltas[n.name];
    if (!d) continue;
    const b = n.input[2] ? floatValues(inits.get(n.input[2])) : d.map(() => 0);
    const name = `${n.name}_bias_shifted`;
    g.initializer.push(
      tensor(
        name,
        [d.length],
        DataType.FLOAT,
        b.map((v, c) => v + d[c]),
      ),
    );
    n.input[2] = name;
  }
  const read = new Set(g.node.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => read.has(t.name));
  return onnx.ModelProto.encode(model).finish();
}

function weightOf(graph, node) {
  const t = graph.initializer.find((i) => i.name === node.input[1]);
  return { values: floatValues(t), dims: t.dims.map(Number) };
}

/**
 * Equalization exponents (for `equalize`) from the per-channel absolute maxima of each pair's x
 * and y tensors (`channelMax[name]`). Into a depthwise B: every channel to the same range (free:
 * A's and B's weights are both quantized per channel c). Into a pointwise B, whose input channel
 * c is a column of per-output-channel quantized weights: activation range r and the column's
 * weight range w balanced as r^alpha : w^(1 - alpha) (SmoothQuant). Exponents in [-8, 8].
 */
export function equalizationExponents(bytes, channelMax, alpha = 0.8) {
  const g = onnx.ModelProto.decode(bytes).graph;
  const out = {};
  for (const p of equalizablePairs(g)) {
    const r = channelMax[p.x].map((v, c) => Math.max(v, channelMax[p.y][c], 1e-6));
    let target;
    if (p.depthwise) target = r.map((v) => 1 / v);
    else {
      const { values, dims } = weightOf(
        g,
        g.node.find((n) => n.name === p.b),
      );
      const k = dims[2] * dims[3];
      const wc = new Array(dims[1]).fill(1e-12);
      values.forEach((v, i) => {
        const c = Math.floor(i / k) % dims[1];
        wc[c] = Math.max(wc[c], Math.abs(v));
      });
      target = r.map((v, c) => wc[c] ** (1 - alpha) / v ** alpha);
    }
    const l = target.map(Math.log2);
    const sorted = [...l].sort((a, b) => a - b);
    // Depthwise: the narrowest channel keeps its scale, the others shrink toward it (by at most
    // 2^8); pointwise: the median channel keeps its scale.
    const ref = p.depthwise ? sorted[sorted.length - 1] : sorted[sorted.length >> 1];
    out[p.x] = l.map((v) => Math.max(-8, Math.min(8, Math.round(v - ref))));
  }
  return out;
}

/**
 * The [min, max] clip range of a histogram (`counts` over [lo, hi] in equal bins) that minimizes
 * the expected squared error of uint8 quantization: clipping error plus step^2 / 12.
 */
export function mseRange(counts, lo, hi) {
  const bins = counts.length;
  const w = (hi - lo) / bins;
  const fs = Array.from({ length: 40 }, (_, i) => 1 - i * 0.024);
  let best = [Number.POSITIVE_INFINITY, lo, hi];
  for (const fl of lo < 0 ? fs : [1])
    for (const fh of hi > 0 ? fs : [1]) {
      const a = lo * fl;
      const b = hi * fh;
      const step = (b - a) / 255;
      let e = 0;
      for (let i = 0; i < bins; i++) {
        if (!counts[i]) continue;
        const x = lo + (i + 0.5) * w;
        const d = x < a ? a - x : x > b ? x - b : 0;
        e += counts[i] * (d * d + (step * step) / 12);
      }
      if (e < best[0]) best = [e, a, b];
    }
  return [best[1], best[2]];
}

/**
 * Bias correction for weight rounding (Nagel et al. 2019, data-free quantization): each Conv's
 * output channel o shifts by -sum (Wq - W)[o, c, k] E[x_c]; `inputMeans[name]` is the per-channel
 * mean of each Conv input tensor on calibration data. Uses the weight scales of quantizeQdq
 * (without its int32-bias floor, which only moves dead channels; dead channels get no shift). Returns { convName: deltas }.
 */
export function biasCorrection(bytes, inputMeans) {
  const g = onnx.ModelProto.decode(bytes).graph;
  const deltas = {};
  for (const n of g.node) {
    if (n.opType !== "Conv") continue;
    const { values: w, dims } = weightOf(g, n);
    const [O, Cg, kh, kw] = dims;
    const per = Cg * kh * kw;
    const perGroup = O / attrInt(n, "group", 1);
    const mean = inputMeans[n.input[0]];
    if (!mean) throw new QuantizeError(`no input means for Conv ${n.name}`);
    const d = [];
    for (let o = 0; o < O; o++) {
      let m = 0;
      for (let k = 0; k < per; k++) m = Math.max(m, Math.abs(w[o * per + k]));
      if (m < TINY) {
        d.push(0); // a dead channel: quantizeQdq zeroes its weights; nothing to correct
        continue;
      }
      const s = Math.fround(m / 127);
      let e = 0;
      for (let k = 0; k < per; k++) {
        const c = Math.floor(o / perGroup) * Cg + Math.floor(k / (kh * kw));
        const q = Math.max(-127, Math.min(127, Math.round(w[o * per + k] / s))) * s;
        e += (q - w[o * per + k]) * mean[c];
      }
      d.push(-e);
    }
    deltas[n.name] = d;
  }
  return deltas;
}

/**
 * The whole recipe from a calibration record { exponents, ranges, biasShift } (bench/quant-embedder.ts):
 * equalize, shift the biases, quantize.
 */
export function quantizeFromCalibration(bytes, cal, opts) {
  return quantizeQdq(shiftBiases(equalize(bytes, cal.exponents), cal.biasShift ?? {}), cal.ranges, opts);
}

/** The tensors whose per-channel maxima equalizationExponents reads (each pair's x and y). */
export function equalizationTensors(bytes) {
  const pairs = equalizablePairs(onnx.ModelProto.decode(bytes).graph);
  return [...new Set(pairs.flatMap((p) => [p.x, p.y]))];
}

/** The tensors whose per-channel means biasCorrection reads (every Conv's input). */
export function convInputTensors(bytes) {
  const g = onnx.ModelProto.decode(bytes).graph;
  return [...new Set(g.node.filter((n) => n.opType === "Conv").map((n) => n.input[0]))];
}
