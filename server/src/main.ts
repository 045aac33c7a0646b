/**
 * The server's command line:
 *   pnpm --silent run server --data <dir> --port <n> [--mqtt-port <m>] [--config <file>]
 *   pnpm --silent run server rebuild-index --data <dir>       rebuild the face index from the database
 *   pnpm --silent run server create-token --data <dir> --role viewer --name "wall screen"
 *   pnpm --silent run server create-user --data <dir> --name admin --role admin   (password: prompt or stdin)
 *   pnpm --silent run server enrol-folder <dir> [--url <server>] [--token <t> | --data <dir>] [--dry-run] [--json]
 * ("pnpm server" without "run" is pnpm's own store-server command.)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { createLogger, EMBEDDING_DIM, featureModelId, isArgusError } from "@argus/shared";
import { newToken } from "./api/auth.ts";
import { loadConfig } from "./config/config.ts";
import { enrolFolder, UsageError } from "./enrolFolder.ts";
import { Gallery } from "./identify/gallery.ts";
import { startServer } from "./server.ts";
import { openStore } from "./store/index.ts";
import { normalizeUserName, SessionService } from "./users/sessions.ts";

const USAGE = `usage: pnpm --silent run server [serve|rebuild-index|create-token|create-user] --data <dir> [--port <n>] [--mqtt-port <m>] [--config <file>]
       pnpm --silent run server enrol-folder <dir> [--url <server>] [--token <t> | --data <dir>] [--dry-run] [--json]
  --data <dir>        data directory (SQLite database, crops, index snapshot, admin-token)
  --port <n>          HTTP port (default 8080)
  --mqtt-port <m>     embedded MQTT broker port (default 1883)
  --host <addr>       HTTP listen address (default 0.0.0.0)
  --config <file>     YAML/JSON settings file (see server/README.md); env ARGUS_* and MONGODB_URL override it
  --role, --name      for create-token and create-user
  --reset             create-user: the user exists; set a new password (and --role), enable it

enrol-folder enrols every photo under <dir> through a running server's API (POST /api/v1/enrol/file),
named Name/photo.jpg or Name_1.jpg (server/README.md, Bulk enrolment); --url (default ARGUS_URL or
http://127.0.0.1:8080), --token (default ARGUS_TOKEN, else <--data dir>/admin-token): an operator's or
admin's API token. Exit code 1 when a file was refused, 2 on a usage or connection error.

create-user reads the password from a prompt (typed twice, not shown), or the first line of standard
input when it is not a terminal: printf '%s\n' "$PASSWORD" | pnpm --silent run server create-user ...`;

/** A password from the terminal (typed twice, not echoed) or the first line of piped standard input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = "";
    for await (const chunk of process.stdin) data += chunk;
    return data.split(/\r?\n/)[0];
  }
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  const ask = (q: string) =>
    new Promise<string>((res) => {
      process.stdout.write(q);
      muted = true;
      rl.question("", (a) => {
        muted = false;
        process.stdout.write("\n");
        res(a);
      });
    });
  try {
    const a = await ask("Password: ");
    const b = await ask("Repeat it: ");
    if (a !== b) throw new Error("the two passwords differ");
    return a;
  } finally {
    rl.close();
  }
}

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
      reset: { type: "boolean" },
      url: { type: "string" },
      token: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? "serve";
  if (command === "enrol-folder") {
    const dir = positionals[1];
    if (!dir) {
      console.error(USAGE);
      return 2;
    }
    let token = values.token ?? process.env.ARGUS_TOKEN;
    if (!token && values.data) {
      try {
        token = readFileSync(join(values.data, "admin-token"), "utf8").trim();
      } catch (e) {
        console.error(`enrol-folder: cannot read the admin token: ${(e as Error).message}`);
        return 2;
      }
    }
    if (!token && !values["dry-run"]) {
      console.error("enrol-folder: an API token is needed: --token, ARGUS_TOKEN, or --data <dir> (its admin-token)");
      return 2;
    }
    try {
      const r = await enrolFolder({
        dir,
        url: values.url ?? process.env.ARGUS_URL ?? "http://127.0.0.1:8080",
        token: token ?? "",
        dryRun: values["dry-run"],
        json: values.json,
      });
      return r.exitCode;
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      console.error(`enrol-folder: ${e.message}`);
      return 2;
    }
  }
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
    await store.init((step) => log.info(step, "database schema migrated"));
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
    await store.init((step) => log.info(step, "database schema migrated"));
    const { token, hash } = newToken();
    await store.accounts.insertToken({
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
  if (command === "create-user") {
    const role = values.role;
    if (role !== "admin" && role !== "operator" && role !== "viewer") {
      console.error("create-user: --role must be admin, operator or viewer");
      return 2;
    }
    if (!values.name) {
      console.error("create-user: --name <user name> is required");
      return 2;
    }
    const password = await readPassword();
    const store = openStore({
      dataDir: config.dataDir,
      mongodbUrl: config.store.mongodbUrl,
      mongodbDb: config.store.mongodbDb,
    });
    await store.init((step) => log.info(step, "database schema migrated"));
    try {
      const users = new SessionService(store, config.console, createLogger("argus-server", "warn"));
      const existing = await store.accounts.findUserByName(normalizeUserName(values.name));
      if (existing && !values.reset) {
        console.error(`create-user: '${existing.name}' already exists (add --reset to set a new password and role)`);
        return 1;
      }
      const user = existing
        ? await users.updateUser(existing.id, { password, role, disabled: false })
        : await users.createUser({ name: values.name, role, password });
      console.log(`${existing ? "updated" : "created"} user '${user.name}' (${user.role})`);
      return 0;
    } catch (e) {
      console.error(`create-user: ${(e as Error).message}`);
      return 1;
    } finally {
      await store.close();
    }
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
  if (server.consoleAdmin) {
    const a = server.consoleAdmin;
    console.log(`Console user '${a.name}' created; password (also written to ${a.file}): ${a.password}`);
  }
  console.log(`Argus server: API ${server.url}/api/v1 (docs ${server.url}/docs), MQTT ${server.mqttUrl}`);
  console.log(`Console: ${server.url}/`);
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
