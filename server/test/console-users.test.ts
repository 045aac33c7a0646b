/**
 * The first console admin: made on the first start with a random password (file mode 600, printed
 * once), or from the command line with `create-user`, which reads the password from standard input
 * (never from the command line).
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { tempDir } from "./helpers.ts";

const MAIN = resolve(import.meta.dirname, "../src/main.ts");
const TSX = resolve(import.meta.dirname, "../../node_modules/.bin/tsx");

const config = (dataDir: string) => ({
  dataDir,
  http: { port: 0, host: "127.0.0.1" },
  mqtt: { port: 0, host: "127.0.0.1" },
  log: { level: "error" },
});

async function signIn(url: string, name: string, password: string): Promise<number> {
  const r = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-argus-csrf": "1" },
    body: JSON.stringify({ name, password }),
  });
  return r.status;
}

/** Runs the CLI with `stdin` piped in; resolves with the exit code and everything it printed. */
function cli(args: string[], stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const p = spawn(TSX, [MAIN, ...args], { env: { ...process.env, ARGUS_LOG_LEVEL: "warn" } });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.once("exit", (code) => res({ code, out }));
    p.stdin.end(stdin);
  });
}

it("the first start creates a console admin with a random password, once", async () => {
  const dir = tempDir();
  const server = await startServer({ config: config(dir) });
  try {
    const a = server.consoleAdmin!;
    expect(a).toMatchObject({ name: "admin", file: join(dir, "admin-password") });
    expect(a.password.length).toBeGreaterThanOrEqual(20);
    expect(readFileSync(a.file, "utf8").trim()).toBe(a.password);
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    expect(await signIn(server.url, "admin", a.password)).toBe(200);
  } finally {
    await server.stop();
  }
  const again = await startServer({ config: config(dir) });
  try {
    expect(again.consoleAdmin).toBeUndefined();
    expect((await again.services.store.accounts.listUsers()).map((u) => u.name)).toEqual(["admin"]);
  } finally {
    await again.stop();
  }
});

it("create-user reads the password from standard input, refuses weak ones and existing names", async () => {
  const dir = tempDir();
  const made = await cli(
    ["create-user", "--data", dir, "--name", "Chief", "--role", "admin"],
    "a strong password here\n",
  );
  expect(made.out).toContain("created user 'chief' (admin)");
  expect(made.code).toBe(0);
  const weak = await cli(["create-user", "--data", dir, "--name", "bob", "--role", "viewer"], "short\n");
  expect(weak.code).toBe(1);
  expect(weak.out).toMatch(/password: must be at least 10 characters/);
  const dup = await cli(["create-user", "--data", dir, "--name", "chief", "--role", "viewer"], "another password 1\n");
  expect(dup.code).toBe(1);
  expect(dup.out).toMatch(/already exists \(add --reset/);
  const role = await cli(["create-user", "--data", dir, "--name", "x", "--role", "root"], "");
  expect(role.code).toBe(2);
  // --reset sets a new password (a forgotten one); the last admin cannot be demoted this way either
  const demote = await cli(
    ["create-user", "--data", dir, "--name", "chief", "--role", "operator", "--reset"],
    "another password 1\n",
  );
  expect(demote.code).toBe(1);
  expect(demote.out).toMatch(/last enabled admin/);
  const reset = await cli(
    ["create-user", "--data", dir, "--name", "chief", "--role", "admin", "--reset"],
    "another password 1\n",
  );
  expect(reset.out).toContain("updated user 'chief' (admin)");

  // Users made before the first start: no generated admin.
  const server = await startServer({ config: config(dir) });
  try {
    expect(server.consoleAdmin).toBeUndefined();
    expect(await signIn(server.url, "chief", "another password 1")).toBe(200);
    expect(await signIn(server.url, "chief", "a strong password here")).toBe(401);
  } finally {
    await server.stop();
  }
});
