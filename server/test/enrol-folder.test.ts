/**
 * `pnpm --silent run server enrol-folder <dir>` against a running server: a real folder of photos
 * (../shared/data), a per-file line each, a summary, exit code 1 when a file was refused, 0 when not.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrolFolder } from "../src/enrolFolder.ts";
import { startServer } from "../src/server.ts";
import { apiClient, bbt, DATA_DIR, HAVE_DATA, NO_DATA_MESSAGE, type RunningServer, tempDir } from "./helpers.ts";

if (!HAVE_DATA) console.log(`enrol-folder: ${NO_DATA_MESSAGE}`);

const MAIN = resolve(import.meta.dirname, "../src/main.ts");
const TSX = resolve(import.meta.dirname, "../../node_modules/.bin/tsx");

function run(args: string[], env: Record<string, string> = {}) {
  const p = spawn(TSX, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  return new Promise<{ code: number | null; out: string; err: string }>((r) =>
    p.once("exit", (code) => r({ code, out, err })),
  );
}

describe.skipIf(!HAVE_DATA)("enrol-folder", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "error" },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("enrols a folder through the API, one line per file, exit 1 when a file was refused", async () => {
    const dir = tempDir("argus-folder-");
    mkdirSync(join(dir, "Amy Farrah Fowler"));
    copyFileSync(bbt("amy1"), join(dir, "Amy Farrah Fowler/a.png"));
    copyFileSync(bbt("amy2"), join(dir, "Amy Farrah Fowler/b.png"));
    copyFileSync(bbt("raj1"), join(dir, "Raj_1.png"));
    copyFileSync(join(DATA_DIR, "groups/bbt1.jpg"), join(dir, "Group_1.jpg"));
    writeFileSync(join(dir, "notes.txt"), "who is who");
    writeFileSync(join(dir, ".DS_Store"), "Bud1");

    // Dry run: the plan, nothing sent.
    const plan = await run(["enrol-folder", dir, "--dry-run"]);
    expect(plan.code).toBe(1); // notes.txt is refused even in a dry run
    expect(plan.out).toContain("planned    Amy Farrah Fowler/a.png -> Amy Farrah Fowler");
    expect(plan.out).toContain("planned    Raj_1.png -> Raj");

    const r = await run(["enrol-folder", dir, "--url", server.url], { ARGUS_TOKEN: server.adminToken });
    expect(r.err).toBe("");
    const lines = r.out.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        /^enrolled {3}Amy Farrah Fowler\/a\.png -> Amy Farrah Fowler \(new person\), quality 0\.\d\d$/,
      ),
      expect.stringMatching(/^enrolled {3}Amy Farrah Fowler\/b\.png -> Amy Farrah Fowler, quality 0\.\d\d$/),
      expect.stringMatching(/^refused {4}Group_1\.jpg: MULTIPLE_FACES 4 faces found/),
      expect.stringMatching(/^enrolled {3}Raj_1\.png -> Raj \(new person\)/),
      expect.stringMatching(/^refused {4}notes\.txt: NOT_AN_IMAGE/),
      "6 files: 3 enrolled (0 possible duplicates), 2 refused, 1 ignored; 2 persons created",
    ]);
    expect(r.code).toBe(1);
    const persons = (await apiClient(server, server.adminToken)("GET", "/api/v1/persons?q=Amy")).body.items;
    expect(persons.map((p: { name: string }) => p.name)).toEqual(["Amy Farrah Fowler"]);

    // A folder of good photos only: exit 0; Raj again under another name is a possible duplicate.
    const good = tempDir("argus-folder-");
    copyFileSync(bbt("raj2"), join(good, "Rajesh_1.png"));
    const out: string[] = [];
    const ok = await enrolFolder({ dir: good, url: server.url, token: server.adminToken, out: (l) => out.push(l) });
    expect(ok.exitCode).toBe(0);
    expect(out[0]).toMatch(
      /^duplicate\? Rajesh_1\.png -> Rajesh \(new person\), quality 0\.\d\d; the photo also matches Raj \(/,
    );
    expect(out[1]).toBe("1 files: 1 enrolled (1 possible duplicates), 0 refused, 0 ignored; 1 persons created");

    // A wrong token: exit 2 with the reason.
    const denied = await run(["enrol-folder", good, "--url", server.url, "--token", "argus_wrong"]);
    expect(denied.code).toBe(2);
    expect(denied.err).toMatch(/enrol-folder: 401/);
  });
});
