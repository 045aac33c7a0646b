/** The one config loader: files, layers (file < environment < command line), one merge, issues that name their source. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  deepMerge,
  envLayer,
  fileLayer,
  formatIssue,
  pathLayer,
  readConfigFile,
  validateLayers,
} from "../src/config/loader.ts";

const dir = mkdtempSync(join(tmpdir(), "argus-config-"));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const Schema = z
  .object({
    name: z.string().min(1),
    http: z
      .object({ host: z.string().default("0.0.0.0"), port: z.coerce.number().int().max(65535).default(80) })
      .strict()
      .prefault({}),
    tags: z.array(z.string()).default([]),
  })
  .strict();

describe("readConfigFile", () => {
  it("reads YAML and JSON; a schema comment for editors is only a comment", () => {
    const y = readConfigFile(write("a.yaml", "# yaml-language-server: $schema=../schemas/x.json\nname: a\n"));
    expect(y).toEqual({ ok: true, value: { name: "a" } });
    expect(readConfigFile(write("a.json", '{"name": "b", "http": {"port": 81}}'))).toEqual({
      ok: true,
      value: { name: "b", http: { port: 81 } },
    });
  });

  it("a missing file is undefined when optional, an unreadable-file issue otherwise", () => {
    expect(readConfigFile(join(dir, "none.yaml"), { optional: true })).toEqual({ ok: true, value: undefined });
    const r = readConfigFile(join(dir, "none.yaml"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.unreadable).toBe(true);
    expect(formatIssue(r.issues[0])).toMatch(/none\.yaml; expected a readable file \(ENOENT/);
  });

  it("syntax errors and duplicate keys name the file", () => {
    for (const text of ["name: [a\n", "name: a\nname: b\n"]) {
      const r = readConfigFile(write("bad.yaml", text));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(formatIssue(r.issues[0])).toMatch(/bad\.yaml; expected valid YAML/);
    }
  });

  it("a file that cannot be read (a directory here) is an issue even when optional, not a throw", () => {
    const r = readConfigFile(dir, { optional: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssue(r.issues[0])).toMatch(/expected a readable file \(EISDIR/);
  });
});

describe("deepMerge", () => {
  it("merges objects key by key; arrays and scalars replace; undefined keeps the base", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: undefined, e: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 2,
    });
    expect(deepMerge({ a: { b: 1 } }, { a: "x" })).toEqual({ a: "x" });
  });
});

describe("layers", () => {
  const env = { APP_PORT: "8081", APP_HOST: "", APP_NAME: "from-env" };
  const envMap = { APP_PORT: "http.port", APP_HOST: "http.host", APP_NAME: "name" };

  it("environment variables map to dotted paths; unset and empty ones are left out", () => {
    const l = envLayer(env, envMap);
    expect(l.values).toEqual({ http: { port: "8081" }, name: "from-env" });
    expect(l.names).toEqual({ "http.port": "environment variable APP_PORT", name: "environment variable APP_NAME" });
  });

  it("defaults < file < environment < command line", () => {
    const file = fileLayer("app.yaml", { name: "file", http: { host: "h", port: 1 }, tags: ["a"] });
    if (!file.ok) throw new Error("a mapping is a valid file");
    const r = validateLayers(
      Schema,
      [file.value, envLayer(env, envMap), pathLayer("command line", { "http.port": "9000", name: undefined })],
      { fallback: "app.yaml" },
    );
    expect(r).toEqual({ ok: true, value: { name: "from-env", http: { host: "h", port: 9000 }, tags: ["a"] } });
  });

  it("an issue names the layer that set the field: the file, the environment variable, the command line", () => {
    const file = fileLayer("app.yaml", { http: { port: 70000, hots: "x" }, tags: "a" });
    if (!file.ok) throw new Error("a mapping is a valid file");
    const fromFile = validateLayers(Schema, [file.value], { fallback: "app.yaml" });
    expect(fromFile.ok).toBe(false);
    if (fromFile.ok) return;
    expect(fromFile.issues.map(formatIssue).sort()).toEqual([
      "app.yaml: field 'http.hots'; expected a known field (there is no 'hots' here; check the spelling)",
      "app.yaml: field 'http.port': got 70000; expected number to be <=65535",
      "app.yaml: field 'name'; expected a value (string) but it is missing",
      `app.yaml: field 'tags': got "a"; expected array`,
    ]);

    const layers = [file.value, envLayer({ APP_PORT: "abc" }, envMap), pathLayer("command line", { name: "" })];
    const r = validateLayers(Schema, layers, { fallback: "app.yaml" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byField = Object.fromEntries(r.issues.map((i) => [i.field, formatIssue(i)]));
    expect(byField["http.port"]).toBe(`environment variable APP_PORT: field 'http.port': got "abc"; expected number`);
    expect(byField.name).toMatch(/^command line: field 'name': got ""; expected string to have >=1 characters/);
  });

  it("a file that is not a mapping is refused as a whole", () => {
    const r = fileLayer("app.yaml", ["a"]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssue(r.issues[0])).toBe(`app.yaml: got ["a"]; expected a mapping of settings`);
    expect(fileLayer("empty.yaml", undefined)).toEqual({ ok: true, value: { source: "empty.yaml", values: {} } });
  });

  it("ConfigError carries the CONFIG_INVALID code, the issues, and a context", () => {
    const e = new ConfigError(
      [{ file: "f.yaml", field: "a", value: 1, message: "expected string" }],
      "invalid settings",
    );
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toBe("invalid settings: f.yaml: field 'a': got 1; expected string");
    expect(e.issues).toHaveLength(1);
  });
});
