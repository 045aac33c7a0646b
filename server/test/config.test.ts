/** Server settings through the shared loader: layer order, coercion of strings, errors naming source and field. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { THRESHOLDS } from "@argus/shared";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../src/config/config.ts";

const dir = mkdtempSync(join(tmpdir(), "argus-server-config-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("loadConfig", () => {
  it("defaults < file < environment < command line", () => {
    const f = file("a.yaml", "dataDir: from-file\nhttp:\n  port: 1000\n  host: 10.0.0.1\nretention:\n  days: 5\n");
    const c = loadConfig({
      file: f,
      env: { ARGUS_HTTP_PORT: "2000", ARGUS_RETENTION_DAYS: "", ARGUS_LOG_LEVEL: "warn" },
      overrides: { "http.port": "3000", dataDir: undefined },
    });
    expect(c.dataDir).toBe("from-file");
    expect(c.http).toMatchObject({ port: 3000, host: "10.0.0.1", maxUploadBytes: 10 * 1024 * 1024 });
    expect(c.retention.days).toBe(5); // an empty variable is unset
    expect(c.log.level).toBe("warn");
    expect(c.identify.threshold).toBe(THRESHOLDS.identify);
  });

  it("reads JSON files, and coerces numbers and booleans given as strings", () => {
    const f = file("a.json", JSON.stringify({ dataDir: "d", alerts: { unknownAtSensitive: "false" } }));
    const c = loadConfig({ file: f, env: { ARGUS_IDENTIFY_THRESHOLD: "0.5" } });
    expect(c.alerts.unknownAtSensitive).toBe(false);
    expect(c.identify.threshold).toBe(0.5);
    expect(loadConfig({ env: {}, overrides: { dataDir: "x" } }).ingest.storeContextCrops).toBe(true);
  });

  it("a bad value is CONFIG_INVALID naming where it came from, the field, the value and what was expected", () => {
    const f = file("bad.yaml", "dataDir: d\nhttp:\n  prot: 80\nidentify:\n  matching: nearby\n");
    const e = errorOf(() => loadConfig({ file: f, env: { ARGUS_MQTT_PORT: "x" } }));
    expect(e.code).toBe("CONFIG_INVALID");
    const lines = e.message.replace(/^invalid server settings: /, "").split("\n");
    expect(lines.sort()).toEqual([
      `${f}: field 'http.prot'; expected a known field (there is no 'prot' here; check the spelling)`,
      expect.stringMatching(
        new RegExp(`^${f}: field 'identify\\.matching': got "nearby"; expected .*"global".*"camera"`),
      ),
      `environment variable ARGUS_MQTT_PORT: field 'mqtt.port': got "x"; expected number`,
    ]);
    const cli = errorOf(() => loadConfig({ env: {}, overrides: { dataDir: "d", "http.port": "99999" } }));
    expect(cli.message).toBe(
      `invalid server settings: command line: field 'http.port': got "99999"; expected number to be <=65535`,
    );
  });

  it("a missing required field names the file; a missing file is FILE_NOT_FOUND", () => {
    const f = file("empty.yaml", "");
    expect(errorOf(() => loadConfig({ file: f, env: {} })).message).toMatch(
      new RegExp(`${f}: field 'dataDir'; expected a value .*missing`),
    );
    expect(errorOf(() => loadConfig({ file: join(dir, "none.yaml"), env: {} }))).toMatchObject({
      code: "FILE_NOT_FOUND",
      message: expect.stringMatching(/none\.yaml; expected a readable file/),
    });
    expect(errorOf(() => loadConfig({ file: file("list.yaml", "- a\n"), env: {} })).message).toMatch(
      /list\.yaml: got \["a"\]; expected a mapping of settings/,
    );
  });
});

describe("parseConfig", () => {
  it("validates programmatic settings the same way", () => {
    expect(parseConfig({ dataDir: "d", http: { port: 0 } }).http.port).toBe(0);
    expect(errorOf(() => parseConfig({ dataDir: "d", http: { port: -1 } })).message).toBe(
      "invalid server settings: config object: field 'http.port': got -1; expected number to be >=0",
    );
  });
});
