/**
 * `pnpm start` as a newcomer runs it (scripts/start.ts in a child process, on the sample videos):
 * the videos play in a loop (the cameras keep streaming past the end of their file), the README's
 * enrolment example (the photo cut from the interview video into the data directory, the person's
 * sightings) returns sightings, Ctrl+C stops it cleanly; with --no-loop the videos play once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { apiClient, DATA_DIR, freePort, type Json, tempDir, waitFor } from "../server/test/helpers.ts";

const ROOT = resolve(import.meta.dirname, "..");
const HAVE_VIDEOS = existsSync(join(DATA_DIR, "video/talking-head-1.mp4"));
if (!HAVE_VIDEOS) console.log(`start: SKIPPED: the sample videos are not at ${DATA_DIR}/video`);

async function start(extra: string[] = []) {
  const data = tempDir("argus-start-");
  const port = await freePort();
  const mqttPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/start.ts",
      "--",
      "--data",
      data,
      "--port",
      `${port}`,
      "--mqtt-port",
      `${mqttPort}`,
      ...extra,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, ARGUS_LOG_LEVEL: "warn" } },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => out.includes("Argus is running."), "pnpm start's banner", 120_000);
  const call = apiClient({ url }, readFileSync(join(data, "admin-token"), "utf8").trim());
  const camera = async (id: string) =>
    (await call("GET", "/api/v1/cameras")).body.cameras.find((c: Json) => c.id === id) as Json;
  return {
    data,
    call,
    camera,
    out: () => out,
    async stop() {
      child.kill("SIGINT");
      return exited;
    },
    kill: () => child.exitCode === null && child.kill("SIGKILL"),
  };
}

describe.skipIf(!HAVE_VIDEOS)("pnpm start", () => {
  it("plays the videos in a loop, and the README's enrolment example returns sightings", async () => {
    const s = await start();
    try {
      // The banner's example: the sample face from the interview video, enrolled, then its sightings.
      const face = join(s.data, "sample-face.jpg");
      expect(existsSync(face)).toBe(true);
      expect(s.out()).toContain(`-F image=@${face}`);
      expect(s.out()).toContain('{"name":"Speaker","list":"friend"}');
      expect(s.out()).toContain("videos in a loop");
      // Streaming past the end of the 6 s interview: the file was played again.
      await waitFor(
        async () => (await s.camera("talking-head"))?.status?.counters?.framesDecoded > 40,
        "the interview's frames beyond one pass (6 s at 5 fps: 31)",
        90_000,
      );
      expect((await s.camera("talking-head")).status.state).toBe("streaming");

      const p = (await s.call("POST", "/api/v1/persons", { name: "Speaker", list: "friend" })).body;
      const form = new FormData();
      form.append("image", new Blob([readFileSync(face)], { type: "image/jpeg" }), "sample-face.jpg");
      expect((await s.call("POST", `/api/v1/persons/${p.id}/faces`, form)).status).toBe(201);
      // The interview is cut into 20 s tracks (configs/cameras/talking-head.yaml): the next one is theirs.
      const seen = await waitFor(
        async () => {
          const items = (await s.call("GET", `/api/v1/persons/${p.id}/sightings`)).body.items as Json[];
          return items.length > 0 && items;
        },
        "a sighting of the enrolled speaker",
        120_000,
      );
      expect(seen[0]).toMatchObject({ cameraId: "talking-head", person: { name: "Speaker" } });
      expect(await s.stop()).toBe(0);
    } finally {
      s.kill();
    }
  }, 400_000);

  it("--no-loop plays each video once", async () => {
    const s = await start(["--no-loop"]);
    try {
      expect(s.out()).not.toContain("videos in a loop");
      await waitFor(
        async () => (await s.camera("talking-head"))?.status?.state === "done",
        "the interview done",
        90_000,
      );
      expect(await s.stop()).toBe(0);
    } finally {
      s.kill();
    }
  });
});
