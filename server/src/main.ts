/**
 * The server's command line:
 *   pnpm --silent run server --data <dir> --port <n> [--mqtt-port <m>] [--config <file>]
 *   pnpm --silent run server rebuild-index --data <dir>       rebuild the face index from the database
 *   pnpm --silent run server create-token --data <dir> --role viewer --name "wall screen"
 * ("pnpm server" without "run" is pnpm's own store-server command.)
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLogger, EMBEDDING_DIM, featureModelId, isArgusError } from "@argus/shared";
import { newToken } from "./api/auth.ts";
import { loadConfig } from "./config.ts";
import { Gallery } from "./identify/gallery.ts";
import { startServer } from "./server.ts";
import { openStore } from "./store/index.ts";

const USAGE = `usage: pnpm --silent run server [serve|rebuild-index|create-token] --data <dir> [--port <n>] [--mqtt-port <m>] [--config <file>]
  --data <dir>        data directory (SQLite database, crops, index snapshot, admin-token)
  --port <n>          HTTP port (default 8080)
  --mqtt-port <m>     embedded MQTT broker port (default 1883)
  --host <addr>       HTTP listen address (default 0.0.0.0)
  --config <file>     YAML/JSON settings file (see server/README.md); env ARGUS_* and MONGODB_URL override it
  --role, --name      for create-token`;

async function main(): Promise<number> {
  // `pnpm run server -- --data x` passes the "--" through; it is not an end-of-options marker here.
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      port: { type: "string" },
      "mqtt-port": { type: "string" },
      host: { type: "string" },
      config: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? "serve";
  const config = loadConfig({
    file: values.config ?? process.env.ARGUS_CONFIG,
    overrides: {
      dataDir: values.data,
      "http.port": values.port,
      "http.host": values.host,
      "mqtt.port": values["mqtt-port"],
    },
  });
  const log = createLogger("argus-server", config.log.level);

  if (command === "rebuild-index") {
    const store = openStore({
      dataDir: config.dataDir,
      mongodbUrl: config.store.mongodbUrl,
      mongodbDb: config.store.mongodbDb,
    });
    await store.init();
    const m = featureModelId();
    const g = new Gallery({
      dim: EMBEDDING_DIM,
      mode: config.identify.matching,
      hnsw: config.identify.hnsw,
      model: `${m.id}:${m.sha256}`,
      snapshotDir: join(config.dataDir, "index"),
      log,
    });
    const t0 = performance.now();
    const r = await g.load(store, { ignoreSnapshot: true });
    g.save();
    await store.close();
    console.log(
      JSON.stringify({
        rebuilt: true,
        persons: g.personCount,
        faces: g.faceCount,
        added: r.added,
        ms: Math.round(performance.now() - t0),
      }),
    );
    return 0;
  }
  if (command === "create-token") {
    const role = values.role;
    if (role !== "admin" && role !== "operator" && role !== "viewer") {
      console.error("create-token: --role must be admin, operator or viewer");
      return 2;
    }
    const store = openStore({
      dataDir: config.dataDir,
      mongodbUrl: config.store.mongodbUrl,
      mongodbDb: config.store.mongodbDb,
    });
    await store.init();
    const { token, hash } = newToken();
    await store.insertToken({
      id: randomUUID(),
      hash,
      role,
      name: values.name ?? `${role} (cli)`,
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
    });
    await store.close();
    console.log(token);
    return 0;
  }
  if (command !== "serve") {
    console.error(`unknown command '${command}'\n${USAGE}`);
    return 2;
  }

  const server = await startServer({ config, log });
  if (server.adminTokenCreated) {
    // Printed once, on the first start; it is also in the data directory (mode 600).
    console.log(`Admin token (also written to ${join(config.dataDir, "admin-token")}): ${server.adminToken}`);
  }
  console.log(`Argus server: API ${server.url}/api/v1 (docs ${server.url}/docs), MQTT ${server.mqttUrl}`);
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, "stopping");
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    console.error(isArgusError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
