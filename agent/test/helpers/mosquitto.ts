/**
 * A real Mosquitto broker per test file: its own port, password file and ACL, and persistence so
 * a subscriber's session (and its queued QoS 1 messages) survives a broker restart.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir } from "./env.ts";

export const MOSQUITTO = "/usr/sbin/mosquitto";
export const MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd";
export const HAS_MOSQUITTO = existsSync(MOSQUITTO) && existsSync(MOSQUITTO_PASSWD);

export interface Broker {
  port: number;
  url: string;
  dir: string;
  start(): Promise<void>;
  /** Graceful stop (SIGTERM: the broker saves its sessions). */
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

/** `users`: name -> password; `acl`: mosquitto ACL file text. */
export async function createBroker(users: Record<string, string>, acl: string, port?: number): Promise<Broker> {
  const dir = tempDir("mosquitto");
  const p = port ?? (await freePort());
  const passwd = join(dir, "passwd");
  let first = true;
  for (const [u, pw] of Object.entries(users)) {
    execFileSync(MOSQUITTO_PASSWD, [...(first ? ["-c"] : []), "-b", passwd, u, pw], { stdio: "ignore" });
    first = false;
  }
  writeFileSync(join(dir, "acl"), acl);
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${p} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${passwd}`,
      `acl_file ${join(dir, "acl")}`,
      "persistence true",
      `persistence_location ${dir}/`,
      "max_queued_messages 100000",
      `log_dest file ${join(dir, "mosquitto.log")}`,
      // Mosquitto started as root would switch to a 'mosquitto' user that cannot read this temp dir.
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      "",
    ].join("\n"),
  );
  let proc: ChildProcess | undefined;
  const b: Broker = {
    port: p,
    url: `mqtt://127.0.0.1:${p}`,
    dir,
    async start() {
      proc = spawn(MOSQUITTO, ["-c", conf], { stdio: "ignore" });
      const end = Date.now() + 10_000;
      while (!(await portOpen(p))) {
        if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}; see ${dir}/mosquitto.log`);
        if (Date.now() > end) throw new Error("mosquitto did not open its port");
        await sleep(50);
      }
    },
    async stop() {
      const pr = proc;
      proc = undefined;
      if (!pr || pr.exitCode !== null) return;
      await new Promise<void>((r) => {
        pr.once("exit", () => r());
        pr.kill("SIGTERM");
      });
    },
  };
  return b;
}

/** ACL: each agent may publish only under its own topics; the server reads everything. */
export function aclFor(agentIds: string[], prefix = "argus"): string {
  const lines = agentIds.flatMap((a) => [`user ${a}`, `topic readwrite ${prefix}/v1/agents/${a}/#`, ""]);
  return [...lines, "user server", `topic read ${prefix}/v1/#`, ""].join("\n");
}
