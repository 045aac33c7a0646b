/**
 * The relative-import graph of a source folder, its cycles (Tarjan's strongly connected components)
 * and the imports that go against a layer order. Used by architecture.test.ts; exported so a package
 * can add its own checks.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** File (relative to the source folder, "camera/runner.ts") -> the files it imports, in that folder. */
export type ImportGraph = Map<string, string[]>;

/** Every .ts file under `srcDir` and its relative imports (type-only, re-exports and dynamic ones included). */
export function importGraph(srcDir: string): ImportGraph {
  const root = resolve(srcDir);
  const graph: ImportGraph = new Map();
  for (const file of tsFiles(root)) {
    const imports = ts
      .preProcessFile(readFileSync(file, "utf8"), true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((s) => s.startsWith("."))
      .map((s) => resolveImport(dirname(file), s))
      .filter((f): f is string => f?.startsWith(`${root}/`) === true)
      .map((f) => relative(root, f));
    graph.set(relative(root, file), [...new Set(imports)]);
  }
  return graph;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === "node_modules" ? [] : tsFiles(p);
    return n.endsWith(".ts") && !n.endsWith(".d.ts") ? [p] : [];
  });
}

function resolveImport(fromDir: string, spec: string): string | undefined {
  const p = resolve(fromDir, spec);
  const candidates = [p, p.replace(/\.js$/, ".ts"), `${p}.ts`, join(p, "index.ts")];
  return candidates.find((c) => c.endsWith(".ts") && existsSync(c) && statSync(c).isFile());
}

/** Every import cycle, one per strongly connected component, as a path that returns to its start. */
export function findCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cycleIn(graph, new Set(c)));
}

/** One concrete cycle through a strongly connected component: a -> b -> ... -> a. */
function cycleIn(graph: ImportGraph, component: Set<string>): string[] {
  const start = [...component].sort()[0];
  const seen = new Set<string>();
  const path: string[] = [];
  const dfs = (v: string): boolean => {
    path.push(v);
    seen.add(v);
    for (const w of graph.get(v) ?? []) {
      if (w === start) return path.push(start) > 0;
      if (component.has(w) && !seen.has(w) && dfs(w)) return true;
    }
    path.pop();
    return false;
  };
  dfs(start);
  return path;
}

/** The graph of folders (first path segment; "" for files at the top): a folder cycle is a layering problem. */
export function folderGraph(graph: ImportGraph): ImportGraph {
  const folderOf = (f: string) => (f.includes("/") ? f.split("/")[0] : "");
  const out: ImportGraph = new Map();
  for (const [file, imports] of graph) {
    const from = folderOf(file);
    const to = new Set(out.get(from) ?? []);
    for (const i of imports) if (folderOf(i) !== from) to.add(folderOf(i));
    out.set(from, [...to]);
  }
  return out;
}

/**
 * Imports that go up a layer order. `layers` lists folders (first segment of the path) from the
 * bottom up; files directly in the source folder ("") are the top. A file may import its own
 * folder and any lower layer. A folder missing from the list is itself a violation, so a new
 * folder gets a place in the order.
 */
export function layerViolations(graph: ImportGraph, layers: readonly string[]): string[] {
  const folderOf = (f: string) => (f.includes("/") ? f.split("/")[0] : "");
  const rank = (f: string) => (folderOf(f) === "" ? layers.length : layers.indexOf(folderOf(f)));
  const out: string[] = [];
  for (const [file, imports] of graph) {
    if (rank(file) < 0) {
      out.push(`${file}: its folder is not in the layer order`);
      continue;
    }
    for (const imp of imports) {
      if (folderOf(imp) !== folderOf(file) && rank(imp) >= rank(file)) out.push(`${file} -> ${imp}`);
    }
  }
  return out;
}
