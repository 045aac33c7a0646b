/**
 * Helpers for the agent benchmarks: run the agent CLI (or ffmpeg alone) as a child process and
 * measure its CPU time, including its own children (ffmpeg), from this process's rusage of
 * waited-for children (/proc/self/stat cutime + cstime).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const VIDEO_DIR = resolve(REPO, "../shared/data/video");
export const OUT = join(REPO, "bench/out");

export function requireData(): void {
  if (!existsSync(join(VIDEO_DIR, "station-crowd-1080p.mp4"))) {
    console.error(
      `${VIDEO_DIR} is absent: the benchmark needs the shared test videos (../shared/data beside the checkout).`,
    );
    process.exit(2);
  }
}

const TICK = 100; // Linux USER_HZ

/** CPU seconds (user + system) of this process's waited-for children so far. */
export function childrenCpu(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after the command: state is f[0]; cutime is field 16 (f[13]), cstime field 17 (f[14]).
  return (Number(f[13]) + Number(f[14])) / TICK;
}

export function configDir(agent: object, cameras: Record<string, object>): string {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "argus-bench-"));
  writeFileSync(join(dir, "agent.yaml"), JSON.stringify(agent));
  mkdirSync(join(dir, "cameras"));
  for (const [n, c] of Object.entries(cameras)) writeFileSync(join(dir, "cameras", `${n}.yaml`), JSON.stringify(c));
  return dir;
}

/** The agent CLI in a child process: the tests' helper, shared. */
export { type AgentRun as Run, runAgentCli as runAgent } from "../agent/test/helpers/cli.ts";

export function run(cmd: string, args: string[]): Promise<number | null> {
  const p = spawn(cmd, args, { stdio: "ignore" });
  return new Promise((r) => p.once("exit", (c) => r(c)));
}

/** JSON log lines of a run with the given message. */
export function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l));
}

/** Sum of a metric's samples (all label sets) from Prometheus text, optionally filtered by a label substring. */
export function metric(text: string, name: string, labelFilter = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

export const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "-");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, in seconds (0 if it is gone). */
export function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Pids of the direct children of `pid` (the agent's ffmpeg processes). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU seconds so far of the agent process itself and of its ffmpeg children. */
export function agentCpu(pid: number): { node: number; ffmpeg: number } {
  return { node: procCpu(pid), ffmpeg: childPids(pid).reduce((s, p) => s + procCpu(p), 0) };
}

export async function getJson(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

export async function getText(url: string): Promise<string> {
  return (await fetch(url)).text();
}
