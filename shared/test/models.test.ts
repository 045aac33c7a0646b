import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArgusError } from "../src/errors.ts";
import { getSession, loadManifest, modelsDir, verifyModelFile } from "../src/models/registry.ts";

const dir = mkdtempSync(join(tmpdir(), "argus-models-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("model registry", () => {
  it("verifies the installed models against the manifest", () => {
    for (const name of ["detect", "landmark", "feature"] as const) {
      expect(verifyModelFile(name)).toBe(join(modelsDir(), loadManifest().models[name].file));
    }
  });

  it("refuses a model whose checksum does not match, naming the file", async () => {
    const file = loadManifest().models.landmark.file;
    copyFileSync(join(modelsDir(), file), join(dir, file));
    writeFileSync(join(dir, file), Buffer.from("tampered"), { flag: "a" });
    let err: unknown;
    try {
      verifyModelFile("landmark", dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArgusError);
    expect((err as ArgusError).code).toBe("MODEL_CHECKSUM");
    expect((err as ArgusError).message).toContain(join(dir, file));
    expect(() => getSession("landmark", { dir })).toThrow(/sha256/);
  });

  it("reports a missing model file with the command that fetches it", () => {
    expect(() => verifyModelFile("feature", dir)).toThrow(/missing.*pnpm models/);
  });
});
