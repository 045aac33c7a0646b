/**
 * The generated config documentation is up to date (run `pnpm run schemas` when this fails):
 * schemas/*.schema.json and the settings tables of the READMEs match the zod schemas; every setting
 * is described; the sample configs point editors at the schemas and still load.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, schemas, tables, updatedReadme } from "../scripts/schemas.ts";
import { loadAgentConfigFile, parseCameraConfig } from "../shared/src/config/agentFiles.ts";
import { settingRows } from "../shared/src/config/jsonSchema.ts";

const FIX = "out of date: run `pnpm run schemas` and commit the result";

describe("generated from the zod schemas", () => {
  for (const [name, schema] of Object.entries(schemas())) {
    it(`schemas/${name}`, () => {
      const committed = JSON.parse(readFileSync(join(ROOT, "schemas", name), "utf8"));
      expect(committed, `schemas/${name} is ${FIX}`).toEqual(schema);
    });
  }

  for (const file of Object.keys(tables())) {
    it(`the settings tables of ${file}`, () => {
      const text = readFileSync(join(ROOT, file), "utf8");
      expect(updatedReadme(file, text) === text, `${file} is ${FIX}`).toBe(true);
    });
  }
});

describe("the schemas", () => {
  const s = schemas();

  it("make every field with a default optional: only what has none is required", () => {
    expect(s["agent.schema.json"].required).toBeUndefined();
    expect(s["camera.schema.json"].required).toEqual(["id", "source"]);
    expect(s["server.schema.json"].required).toEqual(["dataDir"]);
  });

  it("describe every setting", () => {
    for (const [name, schema] of Object.entries(s)) {
      const undescribed = settingRows(schema, { keep: ["cameraDefaults"] }).filter((r) => !r.description);
      expect(undescribed.map((r) => `${name}: ${r.path}`)).toEqual([]);
    }
  });

  it("check cameraDefaults in agent.yaml like a camera file, without id and source", () => {
    const defaults = (s["agent.schema.json"].properties as Record<string, Record<string, unknown>>).cameraDefaults;
    const props = Object.keys(defaults.properties as object);
    expect(props).toContain("motion");
    expect(props).not.toContain("source");
    expect(defaults.additionalProperties).toBe(false);
  });
});

describe("the sample configs", () => {
  const dir = join(ROOT, "configs");
  const cameras = readdirSync(join(dir, "cameras")).map((n) => join(dir, "cameras", n));

  it("start with a yaml-language-server $schema line that points at the schema", () => {
    for (const [file, schema] of [[join(dir, "agent.yaml"), "agent"], ...cameras.map((f) => [f, "camera"])]) {
      const first = readFileSync(file, "utf8").split("\n")[0];
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m?.[1], file).toMatch(new RegExp(`/schemas/${schema}\\.schema\\.json$`));
      expect(existsSync(resolve(dirname(file), m![1])), file).toBe(true);
    }
  });

  it("load with the agent's loader (the line is only a comment)", () => {
    const agent = loadAgentConfigFile(join(dir, "agent.yaml"), {});
    expect(agent.ok).toBe(true);
    for (const f of cameras) {
      const r = parseCameraConfig(readFileSync(f, "utf8"), f, agent.ok ? agent.value.cameraDefaults : {});
      expect(r.ok ? true : r.issues, f).toBe(true);
    }
  });
});
