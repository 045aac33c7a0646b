/** The agent's CLI in a child process (its own logger, signals and exit code), for tests and benchmarks. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./env.ts";

export interface AgentRun {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exit: Promise<number | null>;
}

/** The Node flags of the `agent` script in a checkout's package.json (e.g. --initial-old-space-size=128). */
export function agentNodeFlags(repo: string): string[] {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.agent ?? "").split(/\s+/);
  return words
    .slice(
      1,
      words.findIndex((w) => w.endsWith(".ts")),
    )
    .filter((w) => w.startsWith("--"));
}

const AGENT_NODE_FLAGS = agentNodeFlags(REPO);

export function runAgentCli(args: string[], env: Record<string, string> = {}): AgentRun {
  let output = "";
  // As `pnpm agent` starts it (package.json): Node flags, then the entry point.
  const proc = spawn(
    process.execPath,
    [...AGENT_NODE_FLAGS, "--import", "tsx", join(REPO, "agent/src/main.ts"), ...args],
    {
      cwd: REPO,
      env: { ...process.env, ARGUS_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  return { proc, output: () => output, exit };
}
