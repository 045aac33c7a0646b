/**
 * Architecture rules on the relative imports of agent/src and server/src: no import cycle (between
 * files, nor between folders), and imports point down each package's layer order.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findCycles, folderGraph, type ImportGraph, importGraph, layerViolations } from "./imports.ts";

const ROOT = resolve(import.meta.dirname, "..");

/** Packages that must have no import cycle, between files or between folders. */
const NO_CYCLES = ["agent/src", "server/src"];

/**
 * Folders from the bottom up; files directly in src/ are the top. A file imports its own folder and
 * lower ones only. agent/src follows the data path: a stage may use the types of the stages before
 * it; camera/ runs one camera's stages, fleet/ runs the cameras, status/ reports on the fleet and sinks.
 */
const LAYERS: Record<string, readonly string[]> = {
  "agent/src": [
    "util",
    "ops", // metrics registry and HTTP endpoint; know nothing of the agent's parts
    "config",
    "ingest",
    "motion",
    "detection",
    "tracking",
    "bestshot",
    "publish",
    "camera",
    "fleet",
    "status",
  ],
  // The server's data path: ingest -> identify -> store -> alerts -> notify / API. Domain records,
  // errors and events sit below everything; views turn records into the shared wire shapes.
  "server/src": [
    "util",
    "ops", // metrics registry; knows nothing of the server's parts
    "domain",
    "config",
    "store",
    "users",
    "audit", // the audit log of operator actions (identify's corrections and the API record to it)
    "alerts",
    "identify",
    "retention",
    "jobs", // background jobs (clustering): run identify's work, read by the API
    "ingest",
    "views",
    "notify",
    "api",
    "startup", // what startServer() builds and schedules: first-run accounts, identity services, snapshots
  ],
};

const graph = (dir: string) => importGraph(resolve(ROOT, dir));
const show = (cycles: string[][]) => cycles.map((c) => c.map((f) => f || "(src/)").join(" -> "));

function expectNoCycles(g: ImportGraph): void {
  expect(show(findCycles(g)), "import cycles between files").toEqual([]);
  expect(show(findCycles(folderGraph(g))), "import cycles between folders").toEqual([]);
}

describe("import graph", () => {
  it("parses every import form (a parser that saw nothing would pass every rule)", () => {
    const g = graph("agent/src");
    expect(g.get("agent.ts")).toContain("fleet/fleet.ts");
    expect(g.get("index.ts")).toContain("agent.ts"); // re-export
    expect(g.get("publish/event.ts")).toContain("bestshot/shot.ts"); // type-only import
    expect(graph("server/src").size).toBeGreaterThan(20);
  });

  it("finds cycles and layer violations (the checks can fail)", () => {
    const g: ImportGraph = new Map([
      ["a/x.ts", ["b/y.ts"]],
      ["b/y.ts", ["c/z.ts", "b/w.ts"]],
      ["b/w.ts", []],
      ["c/z.ts", ["a/x.ts"]],
      ["self.ts", ["self.ts"]],
    ]);
    expect(show(findCycles(g)).sort()).toEqual(["a/x.ts -> b/y.ts -> c/z.ts -> a/x.ts", "self.ts -> self.ts"]);
    // "a" is the bottom: it may not import "b"; "c" may import "a".
    expect(layerViolations(g, ["a", "b", "c"])).toEqual(["a/x.ts -> b/y.ts", "b/y.ts -> c/z.ts"]);
    expect(layerViolations(g, ["a", "b"])).toContain("c/z.ts: its folder is not in the layer order");
  });
});

describe("no import cycles", () => {
  for (const dir of NO_CYCLES) it(dir, () => expectNoCycles(graph(dir)));
});

describe("imports point down the layers", () => {
  for (const [dir, layers] of Object.entries(LAYERS)) {
    it(dir, () => expect(layerViolations(graph(dir), layers)).toEqual([]));
  }
});
