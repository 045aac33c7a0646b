/**
 * Child processes for long benchmarks: commands started in their own process group (so everything
 * they start can be ended by the group's id), the real node process found under the pnpm/tsx
 * wrappers, and memory and CPU read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

const TICK = 100; // Linux USER_HZ

export interface ProcMem {
  /** Resident set, bytes (VmRSS). */
  rss: number;
  /** Of which anonymous memory (heaps, malloc) ... */
  rssAnon: number;
  /** ... and file-backed pages (code, mapped files). */
  rssFile: number;
  threads: number;
}

/** Memory of a process from /proc/<pid>/status; undefined when it is gone. */
export function procMem(pid: number): ProcMem | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  return {
    rss: kb("VmRSS"),
    rssAnon: kb("RssAnon"),
    rssFile: kb("RssFile"),
    threads: threads ? Number(threads[1]) : 0,
  };
}

/** utime + stime of a process in seconds (0 when it is gone). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** All descendants of `pid` (children first, then theirs), from one scan of /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Direct children of `pid` whose executable name is `name` (e.g. the agent's ffmpeg processes). */
export function childrenNamed(pid: number, name: string): number[] {
  return descendants(pid).filter((p) => {
    const c = cmdline(p);
    return c.length > 0 && (c[0] === name || c[0].endsWith(`/${name}`));
  });
}

/**
 * A command in its own process group, its output appended to a log file. `nodePid` is the node
 * process that runs `script` under pnpm -> sh -> tsx (the one whose memory matters); signals go to it.
 */
export class GroupChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  nodePid: number | undefined;

  constructor(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: string }) {
    const fd = openSync(opts.log, "a");
    this.proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.exited = new Promise((r) => this.proc.once("exit", (code, sig) => r(code ?? (sig ? -1 : null))));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Finds the node process running `script` (tsx's child: it has the loader in its arguments). */
  async findNode(script: string, timeoutMs = 60_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = descendants(this.pid).filter((p) => {
        const c = cmdline(p);
        return c.some((a) => a.endsWith(script)) && c.some((a) => a.includes("loader") || a === "--import");
      });
      if (found.length) {
        this.nodePid = found[found.length - 1];
        return this.nodePid;
      }
      if (!this.running) throw new Error(`${script}: the command exited (${this.proc.exitCode})`);
      if (Date.now() > end) throw new Error(`${script}: its node process did not appear`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM to the node process (as a service manager would), then the whole group after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; killed: boolean }> {
    if (!this.running) return { code: await this.exited, killed: false };
    try {
      if (this.nodePid) process.kill(this.nodePid, "SIGTERM");
      else process.kill(-this.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    const r = await Promise.race([this.exited, timer]);
    if (r !== "timeout") {
      this.killGroup();
      return { code: r, killed: false };
    }
    this.killGroup();
    return { code: await this.exited, killed: true };
  }

  /** SIGKILL to the group (whatever is left of it). */
  killGroup(): void {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}
