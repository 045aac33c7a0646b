/**
 * Compares V8 heap snapshots (.heapsnapshot, e.g. from bench/soak.ts --heap-snapshots): objects
 * grouped by constructor (or kind), counts and self sizes, and the groups that grew most from the
 * first snapshot to the last. With --retainers <group>, what holds the objects of that group in the
 * last snapshot (the retaining object's group and the edge name), to see where growth is kept.
 *
 *   pnpm exec tsx bench/lib/heap-diff.ts a.heapsnapshot b.heapsnapshot [--top 25] [--retainers "Object"]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Parsed {
  groups: Map<string, { count: number; size: number }>;
  total: number;
  /** group -> retainer "group .edge" -> count (only for the asked group). */
  retainers: Map<string, number>;
}

function groupOf(type: string, name: string): string {
  switch (type) {
    case "object":
      return name;
    case "closure":
      return `(closure) ${name || "anonymous"}`;
    case "string":
    case "concatenated string":
    case "sliced string":
      return "(string)";
    case "array":
      return `(array) ${name}`;
    case "number":
      return "(number)";
    case "native":
      return `(native) ${name}`;
    case "code":
      return "(code)";
    default:
      return `(${type})`;
  }
}

function parse(file: string, retainersOf?: string): Parsed {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const N = nf.length;
  const E = ef.length;
  const [iType, iName, iSize, iEdges] = ["type", "name", "self_size", "edge_count"].map((f) => nf.indexOf(f));
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => ef.indexOf(f));
  const groups = new Map<string, { count: number; size: number }>();
  const nodeGroup: string[] = [];
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += N) {
    const g = groupOf(nodeTypes[s.nodes[i + iType]], s.strings[s.nodes[i + iName]]);
    nodeGroup.push(g);
    const x = groups.get(g) ?? { count: 0, size: 0 };
    x.count++;
    x.size += s.nodes[i + iSize];
    total += s.nodes[i + iSize];
    groups.set(g, x);
  }
  const retainers = new Map<string, number>();
  if (retainersOf) {
    let e = 0;
    for (let n = 0; n < nodeGroup.length; n++) {
      const count = s.nodes[n * N + iEdges];
      for (let k = 0; k < count; k++, e += E) {
        const to = s.edges[e + eTo] / N;
        if (nodeGroup[to] !== retainersOf) continue;
        const t = edgeTypes[s.edges[e + eType]];
        if (t === "weak") continue;
        const name = t === "element" || t === "hidden" ? `[${t}]` : String(s.strings[s.edges[e + eName]]);
        const key = `${nodeGroup[n]} .${name}`;
        retainers.set(key, (retainers.get(key) ?? 0) + 1);
      }
    }
  }
  return { groups, total, retainers };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, retainers: { type: "string" } },
});
if (positionals.length < 1) {
  console.error("usage: heap-diff.ts first.heapsnapshot [... last.heapsnapshot] [--top N] [--retainers <group>]");
  process.exit(2);
}
const top = Number(values.top);
const parsed = positionals.map((f, i) => parse(f, i === positionals.length - 1 ? values.retainers : undefined));
const first = parsed[0];
const last = parsed[parsed.length - 1];
const mb = (b: number) => (b / 1e6).toFixed(2);
console.log(`self size of all objects (MB): ${parsed.map((p) => mb(p.total)).join(" -> ")}`);
const keys = new Set([...first.groups.keys(), ...last.groups.keys()]);
const rows = [...keys]
  .map((k) => {
    const a = first.groups.get(k) ?? { count: 0, size: 0 };
    const b = last.groups.get(k) ?? { count: 0, size: 0 };
    return { k, dCount: b.count - a.count, dSize: b.size - a.size, count: b.count, size: b.size };
  })
  .sort((x, y) => y.dSize - x.dSize);
console.log(`\ngroups that grew most (first -> last snapshot), top ${top}:`);
console.log("| group | count (last) | +count | self MB (last) | +self kB |");
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows.slice(0, top))
  console.log(`| ${r.k.slice(0, 60)} | ${r.count} | ${r.dCount} | ${mb(r.size)} | ${(r.dSize / 1e3).toFixed(1)} |`);
if (values.retainers) {
  console.log(`\nretainers of '${values.retainers}' in the last snapshot (retaining group .edge: count):`);
  for (const [k, n] of [...last.retainers].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${n}  ${k}`);
}
