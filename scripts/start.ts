/**
 * `pnpm start`: the main job on embedded defaults, in one process.
 *
 *   pnpm start [-- --data <dir>] [--port <n>] [--mqtt-port <m>] [--config <agent config dir>] [--no-loop]
 *
 * Starts the central server (embedded SQLite store, embedded MQTT broker), registers an agent,
 * and runs the agent on the sample camera configs (configs/: videos from ../shared/data/video)
 * with the credentials the server issued. The videos play in a loop (the agent's `loop` camera
 * setting, through ARGUS_LOOP_FILES), so sightings keep coming while you explore; `--no-loop` plays
 * them once. A face photo of the person in the interview video is cut from one of its frames into
 * the data directory (sample-face.jpg) for the README's enrolment example. Prints the API address,
 * where the admin token is, and curl commands to try. Ctrl+C stops both cleanly.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FFMPEG_PATH, startAgent } from "../agent/src/index.ts";
import { startServer } from "../server/src/index.ts";
import { createLogger } from "../shared/src/util/log.ts";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  // `pnpm start -- --port 1` passes the "--" through.
  args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")),
  options: {
    data: { type: "string", default: process.env.ARGUS_DATA_DIR ?? join(root, "data") },
    port: { type: "string", default: process.env.ARGUS_HTTP_PORT ?? "8080" },
    "mqtt-port": { type: "string", default: process.env.ARGUS_MQTT_PORT ?? "1883" },
    config: { type: "string", default: join(root, "configs") },
    "no-loop": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: pnpm start [-- --data <dir>] [--port <n>] [--mqtt-port <m>] [--config <agent config dir>] [--no-loop]\n" +
      "  --no-loop   play the sample videos once (default: in a loop, so that sightings keep coming)",
  );
  process.exit(0);
}

const log = createLogger("argus");
const videos = resolve(root, "../shared/data/video");
if (!existsSync(videos)) {
  log.warn(
    { videos },
    "sample videos not found: the sample cameras will report 'failed'; put ../shared/data beside the checkout or point --config at your own camera files",
  );
}

/**
 * The README's enrolment example needs a photo of someone the cameras see: the speaker of the
 * "Interview desk" camera, from a frame of its video (one face, 700x700). Kept once made.
 */
function sampleFace(dataDir: string): string | undefined {
  const file = join(dataDir, "sample-face.jpg");
  const clip = join(videos, "talking-head-1.mp4");
  if (existsSync(file) || !existsSync(clip)) return existsSync(file) ? file : undefined;
  const r = spawnSync(FFMPEG_PATH, ["-loglevel", "error", "-ss", "3", "-i", clip, "-frames:v", "1", "-q:v", "2", file]);
  if (r.status !== 0) {
    log.warn({ err: String(r.stderr).slice(0, 500) }, "the sample face photo could not be cut from the video");
    return undefined;
  }
  return file;
}

const server = await startServer({
  config: {
    dataDir: resolve(values.data),
    http: { port: Number(values.port) },
    mqtt: { port: Number(values["mqtt-port"]) },
  },
});
const face = sampleFace(resolve(values.data));
const creds = await server.ensureAgent("demo-agent");
const agent = await startAgent({
  configDir: values.config,
  env: {
    ...process.env,
    ARGUS_AGENT_ID: creds.id,
    ARGUS_BROKER_URL: creds.mqtt.url,
    ARGUS_BROKER_USERNAME: creds.mqtt.username,
    // null with an external broker: the agent then needs its own configured password.
    ...(creds.mqtt.password ? { ARGUS_BROKER_PASSWORD: creds.mqtt.password } : {}),
    // Every file camera plays in a loop unless its file says `loop: false` (or --no-loop).
    ARGUS_LOOP_FILES: values["no-loop"] ? "false" : "true",
  },
  opsPort: 0,
});

const tokenFile = join(resolve(values.data), "admin-token");
const token = server.adminToken ?? (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "<token>");
const api = `${server.url}/api/v1`;
const sample = face ?? join(resolve(values.data), "sample-face.jpg");
process.stdout.write(`
Argus is running.
  console:      ${server.url}/   (user 'admin', password in ${join(resolve(values.data), "admin-password")}${server.consoleAdmin ? `: ${server.consoleAdmin.password}` : ""})
  API:          ${api}   (docs: ${server.url}/docs)
  admin token:  ${tokenFile}${server.adminTokenCreated ? "  (created now; printed once below)" : ""}
  MQTT broker:  ${server.mqttUrl}   (agent '${creds.id}' authenticated with issued credentials)
  agent:        ${agent.opsUrl ?? "(no ops endpoint)"}/status, cameras from ${values.config}${values["no-loop"] ? "" : " (videos in a loop; --no-loop: once)"}
  integrations: Admin > Integrations in the console: read-only MQTT logins (Home Assistant, ...)
${server.adminTokenCreated ? `\n  ADMIN TOKEN (shown once): ${token}\n` : ""}
Try, in another terminal:
  TOKEN=$(cat ${tokenFile})
  # sightings so far (the sample videos produce some within seconds)
  curl -s -H "Authorization: Bearer $TOKEN" '${api}/sightings?limit=5'
  # the speaker of the "Interview desk" video (a photo cut from it: ${sample}) is already known
  # to the cameras as an automatic "Unknown #N": who is it?
  U=$(curl -s -H "Authorization: Bearer $TOKEN" -F image=@${sample} '${api}/identify?limit=1' | sed 's/.*"person":{"id":"\\([^"]*\\)".*/\\1/')
  # enrol them (name, list, photo) and merge in what the cameras saw of them, then ask where they were seen
  P=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"Speaker","list":"friend"}' ${api}/persons | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
  curl -s -H "Authorization: Bearer $TOKEN" -F image=@${sample} ${api}/persons/$P/faces
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\\"from\\":\\"$U\\"}" ${api}/persons/$P/merge
  curl -s -H "Authorization: Bearer $TOKEN" "${api}/persons/$P/sightings"

Ctrl+C stops the agent and the server.
`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping");
  await agent.stop(signal).catch((e: unknown) => log.error({ err: e }, "agent stop failed"));
  await server.stop().catch((e: unknown) => log.error({ err: e }, "server stop failed"));
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
