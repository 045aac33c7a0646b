/**
 * `pnpm start` as a newcomer runs it (scripts/start.ts in a child process, on the sample videos):
 * the videos play in a loop (the cameras keep streaming past the end of their file), the README's
 * enrolment example, run as it is with bash and curl (the photo cut from the interview video into the
 * data directory, identify, enrol, merge, the person's sightings), returns sightings and later ones
 * follow; Ctrl+C stops it cleanly; with --no-loop the videos play once.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { apiClient, DATA_DIR, freePort, type Json, tempDir, waitFor } from "../server/test/helpers.ts";

const ROOT = resolve(import.meta.dirname, "..");
const HAVE_VIDEOS = existsSync(join(DATA_DIR, "video/talking-head-1.mp4"));
const HAVE_CURL = spawnSync("curl", ["--version"]).status === 0;
if (!HAVE_VIDEOS) console.log(`start: SKIPPED: the sample videos are not at ${DATA_DIR}/video`);
if (!HAVE_CURL) console.log("start: the README's curl commands are not run (no curl on this system)");

async function start(extra: string[] = []) {
  // Named `data` like the default, so that the README's relative paths (data/admin-token) hold.
  const data = join(tempDir("argus-start-"), "data");
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
    url,
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

/** The README's Quick start example, run with bash and curl; returns the enrolled person's id. */
function runReadme(url: string, cwd: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```sh\n(TOKEN=\$\(cat data\/admin-token\)[\s\S]*?)```/.exec(readme)?.[1];
  expect(block, "the README's example").toMatch(/sample-face\.jpg[\s\S]*persons\/\$P\/sightings"\n$/);
  const script = `${block!.replace("http://127.0.0.1:8080", url)}echo "P=$P"\n`;
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  // curl prints no newline: the outputs run together, the last one (a page of sightings) before "P=".
  const out = r.stdout.trim();
  const personId = /P=([\w-]+)$/.exec(out)?.[1] ?? "";
  // The last curl: the speaker's sightings (their history, merged in), at the interview camera.
  const last = JSON.parse(out.slice(out.lastIndexOf('{"items":'), out.lastIndexOf("P=")));
  expect(last.items.length).toBeGreaterThan(0);
  expect(last.items[0]).toMatchObject({ cameraId: "talking-head", person: { id: personId, name: "Speaker" } });
  return personId;
}

/** The same calls without curl. */
async function sameByFetch(call: ReturnType<typeof apiClient>, data: string): Promise<string> {
  const photo = () => {
    const form = new FormData();
    form.append("image", new Blob([readFileSync(join(data, "sample-face.jpg"))], { type: "image/jpeg" }), "face.jpg");
    return form;
  };
  const u = (await call("POST", "/api/v1/identify?limit=1", photo())).body.faces[0].candidates[0].person.id;
  const p = (await call("POST", "/api/v1/persons", { name: "Speaker", list: "friend" })).body.id;
  expect((await call("POST", `/api/v1/persons/${p}/faces`, photo())).status).toBe(201);
  expect((await call("POST", `/api/v1/persons/${p}/merge`, { from: u })).status).toBe(200);
  expect((await call("GET", `/api/v1/persons/${p}/sightings`)).body.items.length).toBeGreaterThan(0);
  return p;
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
      expect(s.out()).toContain("/merge");
      expect(s.out()).toContain("videos in a loop");
      // Streaming past the end of the 6 s interview: the file was played again.
      await waitFor(
        async () => (await s.camera("talking-head"))?.status?.counters?.framesDecoded > 40,
        "the interview's frames beyond one pass (6 s at 5 fps: 31)",
        90_000,
      );
      expect((await s.camera("talking-head")).status.state).toBe("streaming");

      // The README's commands, run as they are (in the data directory's parent, on this server's port).
      await waitFor(
        // Linked to an automatic person: cautious creation founds one once the speaker's track is long
        // enough (or recurs); until then the sightings are unidentified candidates.
        async () =>
          (await s.call("GET", "/api/v1/sightings?cameraId=talking-head&kind=auto&limit=1")).body.items.length > 0,
        "the interview's first sighting of an automatic person",
        90_000,
      );
      const personId = HAVE_CURL ? runReadme(s.url, dirname(s.data)) : await sameByFetch(s.call, s.data);
      // And the next track of the interview is theirs too (the merged faces and the photo).
      const after = Date.now();
      await waitFor(
        async () =>
          ((await s.call("GET", `/api/v1/persons/${personId}/sightings`)).body.items as Json[]).some(
            (x) => Date.parse(x.capturedAt) > after,
          ),
        "a later sighting of the speaker",
        120_000,
      );
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
