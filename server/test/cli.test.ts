/** The command line: first start creates and prints the admin token once; SIGTERM stops cleanly. */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { tempDir, waitFor } from "./helpers.ts";

const MAIN = resolve(import.meta.dirname, "../src/main.ts");
const TSX = resolve(import.meta.dirname, "../../node_modules/.bin/tsx");

function run(args: string[]) {
  const p = spawn(TSX, [MAIN, ...args], {
    env: { ...process.env, ARGUS_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
  return { p, out: () => out, exited };
}

it("starts, prints the admin token only on the first start, and stops on SIGTERM", async () => {
  const dir = tempDir();
  const first = run(["--data", dir, "--port", "0", "--mqtt-port", "0", "--host", "127.0.0.1"]);
  const url = await waitFor(
    async () => /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(first.out())?.[1],
    "the server's URL",
    60_000,
  );
  const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
  expect(first.out()).toContain(`Admin token (also written to ${join(dir, "admin-token")}): ${token}`);
  expect(statSync(join(dir, "admin-token")).mode & 0o777).toBe(0o600);
  const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(await me.json()).toMatchObject({ role: "admin" });
  first.p.kill("SIGTERM");
  expect(await first.exited).toBe(0);

  const second = run(["--data", dir, "--port", "0", "--mqtt-port", "0", "--host", "127.0.0.1"]);
  await waitFor(async () => /API http/.test(second.out()), "the second start", 60_000);
  expect(second.out()).not.toContain("Admin token");
  second.p.kill("SIGTERM");
  expect(await second.exited).toBe(0);
});

it("refuses bad settings with a clear message", async () => {
  const r = run(["--data", tempDir(), "--port", "99999"]);
  expect(await r.exited).toBe(1);
  expect(r.out()).toMatch(/CONFIG_INVALID: .*http\.port/);
});
