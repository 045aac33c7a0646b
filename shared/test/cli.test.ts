import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { data, HAVE_DATA, REPO_ROOT } from "./helpers.ts";

const run = promisify(execFile);
const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
const cli = (...args: string[]) =>
  run(tsx, [join(REPO_ROOT, "shared/src/cli/main.ts"), ...args], { cwd: REPO_ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe.skipIf(!HAVE_DATA)("argus CLI", () => {
  it("embed --json prints one line per image, with an error record for a bad file", async () => {
    const bad = join(tmpdir(), "argus-cli-not-an-image.jpg");
    writeFileSync(bad, "definitely not a jpeg");
    const r = await cli("embed", "--json", data("faces", "bbt", "raj1.png"), bad, data("groups", "bbt1.jpg"));
    expect(r.code).toBe(1); // one file failed
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ file: data("faces", "bbt", "raj1.png"), width: 150, height: 150 });
    expect(lines[0].faces).toHaveLength(1);
    const f = lines[0].faces[0];
    expect(f.box).toHaveLength(4);
    expect(f.landmarks5).toHaveLength(5);
    expect(f.embedding).toHaveLength(512);
    expect(f.quality.score).toBeGreaterThan(0);
    expect(lines[1]).toEqual({ file: bad, error: { code: "IMAGE_UNSUPPORTED", message: expect.any(String) } });
    expect(lines[2].faces.length).toBeGreaterThanOrEqual(3);
  });

  it("compare says same or different", async () => {
    const r = await cli(
      "compare",
      "--json",
      data("faces", "bbt", "howard1.png"),
      data("faces", "bbt", "howard3.png"),
      data("faces", "bbt", "penny1.png"),
    );
    expect(r.code).toBe(0);
    const [a, b] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(a.same).toBe(true);
    expect(b.same).toBe(false);
  });

  it("exits 2 with usage on a bad command", async () => {
    const r = await cli("frobnicate", "x.jpg");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
