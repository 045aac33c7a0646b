/**
 * CLI: pnpm --silent agent --config <dir> [--output <events.jsonl>] [--once] [--fast]
 * Exit codes: 0 ok; 1 a camera failed or a config file was invalid (with --once); 2 bad usage or
 * an invalid agent.yaml; 3 a startup failure (models, ports, spool directory).
 */
import { parseArgs } from "node:util";
import { createLogger, isArgusError } from "@argus/shared";
import { type RunningAgent, startAgent } from "./agent.ts";

const USAGE = `usage: pnpm --silent agent --config <dir> [--output <events.jsonl>] [--once] [--fast]

  --config <dir>    directory with agent.yaml (optional) and cameras/*.yaml
  --output <file>   also write events as JSON lines (crops as JPEG in <file>_crops/)
  --once            exit when every file source has ended and every event is delivered
  --fast            process files as fast as possible instead of at their native rate
  --ops-port <n>    port of /metrics, /health, /status (overrides agent.yaml; 0 = any free port)

Broker credentials can come from ARGUS_BROKER_URL, ARGUS_BROKER_USERNAME, ARGUS_BROKER_PASSWORD.`;

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        config: { type: "string", short: "c" },
        output: { type: "string", short: "o" },
        once: { type: "boolean", default: false },
        fast: { type: "boolean", default: false },
        "ops-port": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
    });
  try {
    args = parse();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!v.config) {
    process.stderr.write(`--config <dir> is required\n\n${USAGE}\n`);
    return 2;
  }
  let opsPort: number | undefined;
  if (v["ops-port"] !== undefined) {
    opsPort = Number(v["ops-port"]);
    if (!Number.isInteger(opsPort) || opsPort < 0 || opsPort > 65535) {
      process.stderr.write(`--ops-port: got "${v["ops-port"]}"; expected a port number 0-65535\n`);
      return 2;
    }
  }
  const log = createLogger("agent");
  let agent: RunningAgent;
  try {
    agent = await startAgent({
      configDir: v.config,
      output: v.output,
      once: v.once,
      fast: v.fast || undefined,
      opsPort,
      logger: log,
    });
  } catch (e) {
    if (isArgusError(e) && e.code === "CONFIG_INVALID") {
      process.stderr.write(`invalid configuration:\n${e.message}\n`);
      return 2;
    }
    process.stderr.write(`agent failed to start: ${(e as Error).message}\n`);
    return 3;
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal: sig }, "agent: second signal; exiting without waiting");
      process.exit(130);
    }
    void agent.stop(`signal ${sig}`);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const res = await agent.finished;
  return res.exitCode;
}

// The process never dies on bad input; an unexpected bug is logged before exiting.
process.on("unhandledRejection", (e) => {
  createLogger("agent").error({ err: e instanceof Error ? e.stack : String(e) }, "agent: unhandled rejection");
});

main().then(
  (code) => {
    // Let pino flush, then leave even if a stray handle (a socket in TIME_WAIT) is still open.
    setTimeout(() => process.exit(code), 50).unref();
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`agent: ${(e as Error).stack ?? e}\n`);
    process.exit(3);
  },
);
