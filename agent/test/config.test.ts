/** Config files: validation with precise errors, defaults, environment overrides, one bad camera file among good ones. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentConfig, parseCameraConfig } from "@argus/shared/config/agentFiles";
import { formatIssue } from "@argus/shared/config/loader";
import { describe, expect, it } from "vitest";
import { readCameraDir } from "../src/config/cameraFiles.ts";
import { tempDir } from "./helpers/env.ts";

describe("camera files", () => {
  it("need only id and source; everything else has a default", () => {
    const r = parseCameraConfig("id: door\nsource: rtsp://cam/1\n", "cameras/door.yaml");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      id: "door",
      enabled: true,
      fps: 5,
      minFaceSize: 40,
      motion: { enabled: true, threshold: 22, mask: [] },
      detection: { fullFrameEvery: 25, roi: null },
      bestShot: { mode: "offline" },
      reconnect: { initialDelayMs: 1000 },
    });
  });

  it("an error names the file, the field, the value and what was expected", () => {
    const r = parseCameraConfig("id: door\nsource: a.mp4\nmotion:\n  threshold: -5\n", "cameras/door.yaml");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ file: "cameras/door.yaml", field: "motion.threshold", value: -5 });
    const line = formatIssue(r.issues[0]);
    expect(line).toMatch(/^cameras\/door\.yaml: field 'motion\.threshold': got -5; expected .*>=\s*1/);
  });

  it("reports missing fields, wrong types, unknown keys (typos) and bad enums", () => {
    const r = parseCameraConfig(
      "name: x\nfps: fast\nmotion:\n  treshold: 10\nbestShot:\n  mode: sometimes\n",
      "cameras/x.yaml",
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byField = Object.fromEntries(r.issues.map((i) => [i.field, formatIssue(i)]));
    expect(Object.keys(byField).sort()).toEqual(["bestShot.mode", "fps", "id", "motion.treshold", "source"]);
    expect(byField.id).toMatch(/field 'id'; expected a value .*it is missing/);
    expect(byField.fps).toMatch(/got "fast"; expected .*number/);
    expect(byField["motion.treshold"]).toMatch(/a known field \(there is no .treshold. here/);
    expect(byField["bestShot.mode"]).toMatch(/got "sometimes"; expected .*"offline".*"realtime"/);
  });

  it("reports YAML syntax errors and non-mapping files", () => {
    const bad = parseCameraConfig("id: [unclosed\n", "cameras/a.yaml");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(formatIssue(bad.issues[0])).toMatch(/^cameras\/a\.yaml; expected valid YAML/);
    const empty = parseCameraConfig("", "cameras/b.yaml");
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(formatIssue(empty.issues[0])).toMatch(/expected a mapping with at least 'id' and 'source'/);
  });

  it("validates polygons and ids", () => {
    const r = parseCameraConfig(
      "id: a/b\nsource: x.mp4\ndetection:\n  roi: [[0, 0], [1.5, 0], [1, 1]]\n",
      "cameras/p.yaml",
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field).sort()).toEqual(["detection.roi.1.0", "id"]);
  });

  it("camera defaults from agent.yaml apply, and a camera file overrides them field by field", () => {
    const defaults = { fps: 3, motion: { threshold: 30, minArea: 0.01 } };
    const r = parseCameraConfig("id: a\nsource: x.mp4\nmotion:\n  threshold: 10\n", "cameras/a.yaml", defaults);
    expect(r.ok && r.value.fps).toBe(3);
    expect(r.ok && r.value.motion).toMatchObject({ threshold: 10, minArea: 0.01 });
  });
});

describe("agent.yaml", () => {
  const file = "configs/agent.yaml";

  it("all defaults when the file is absent (no broker: file sink only)", () => {
    const r = parseAgentConfig(undefined, file, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.id).toBe("agent-1");
    expect(r.value.broker).toBeUndefined();
    expect(r.value.spool).toMatchObject({ dir: ".spool", maxEvents: 200000 });
    expect(r.value.ops.port).toBe(9464);
  });

  it("agents authenticate: a broker without credentials is an error that says where to put them", () => {
    const r = parseAgentConfig("broker:\n  url: mqtt://127.0.0.1:1883\n", file, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const msgs = r.issues.map(formatIssue);
    expect(msgs).toEqual([
      expect.stringMatching(/field 'broker\.username'.*ARGUS_BROKER_USERNAME/),
      expect.stringMatching(/field 'broker\.password'.*ARGUS_BROKER_PASSWORD/),
    ]);
  });

  it("takes the broker and its credentials from the environment", () => {
    const env = { ARGUS_BROKER_URL: "mqtt://h:1883", ARGUS_BROKER_USERNAME: "u", ARGUS_BROKER_PASSWORD: "s3cret" };
    const r = parseAgentConfig("id: site-a\nbroker:\n  username: file-user\n", file, env);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.broker).toMatchObject({
      url: "mqtt://h:1883",
      username: "u",
      password: "s3cret",
      topicPrefix: "argus",
    });
  });

  it("refuses credentials inside the URL, and checks the camera defaults", () => {
    const r = parseAgentConfig(
      "broker:\n  url: mqtt://u:p@h:1883\n  username: u\n  password: p\ncameraDefaults:\n  fps: 0\n",
      file,
      {},
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field)).toEqual(["broker.url", "cameraDefaults.fps"]);
  });
});

describe("readCameraDir", () => {
  it("a bad or duplicate camera file disables only that camera", () => {
    const dir = tempDir("cfg");
    mkdirSync(join(dir, "cameras"));
    writeFileSync(join(dir, "cameras", "a.yaml"), "id: a\nsource: a.mp4\n");
    writeFileSync(join(dir, "cameras", "b.yaml"), "id: b\nsource: b.mp4\nfps: -1\n");
    writeFileSync(join(dir, "cameras", "c.yml"), "id: a\nsource: c.mp4\n");
    writeFileSync(join(dir, "cameras", "notes.txt"), "not a camera");
    const set = readCameraDir(dir, {});
    expect([...set.cameras.keys()]).toEqual(["a"]);
    expect(set.problems.map((p) => [p.cameraId, p.file.split("/").pop()])).toEqual([
      ["b", "b.yaml"],
      ["a", "c.yml"],
    ]);
    expect(set.problems[0].message).toMatch(/b\.yaml: field 'fps': got -1/);
    expect(set.problems[1].message).toMatch(/not used by another camera \(.*a\.yaml has it\)/);
  });
});
