/** The agent's CLI in a child process (its own logger, signals and exit code), for tests and benchmarks. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./env.ts";

export interface AgentRun {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exit: Promise<number | null>;
}

export function runAgentCli(args: string[], env: Record<string, string> = {}): AgentRun {
  let output = "";
  const proc = spawn(process.execPath, ["--import", "tsx", join(REPO, "agent/src/main.ts"), ...args], {
    cwd: REPO,
    env: { ...process.env, ARGUS_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  return { proc, output: () => output, exit };
}
