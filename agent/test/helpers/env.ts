/** Shared test helpers: data location, temp dirs, free ports, waiting. */
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DATA = resolve(REPO, "../shared/data");
export const VIDEO = join(DATA, "video");
export const HAS_DATA = existsSync(join(VIDEO, "station-crowd-1080p.mp4"));
export const RTSP_SERVE = resolve(REPO, "../shared/tools/rtsp-serve.py");

if (!HAS_DATA) {
  console.warn(
    `[agent tests] skipping tests that need videos: ${VIDEO} is absent (the shared test data lives in ../shared/data beside the checkout; see its README)`,
  );
}

export const video = (name: string) => join(VIDEO, name);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `argus-${prefix}-`));
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(f: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
