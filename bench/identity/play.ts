/**
 * One video through the real agent (startAgent, `once` + `fast`, a file source) to a server's broker
 * as the given agent, with the events it published also written to `<work>/<camera>.jsonl`. Shared by
 * bench/identity-videos.ts and server/test/identity-videos.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAgent } from "../../agent/src/index.ts";
import type { FacePool } from "../../shared/src/face/pool.ts";
import type { FaceEvent, Logger } from "../../shared/src/index.ts";

export interface AgentCredentials {
  id: string;
  mqtt: { url: string; username: string; password?: string | null };
}

export async function playThroughAgent(o: {
  work: string;
  camera: string;
  file: string;
  creds: AgentCredentials;
  pool: FacePool;
  logger: Logger;
}): Promise<{ exitCode: number; events: FaceEvent[] }> {
  const cfg = join(o.work, `agent-${o.camera}`);
  mkdirSync(join(cfg, "cameras"), { recursive: true });
  writeFileSync(join(cfg, "agent.yaml"), JSON.stringify({ ops: { port: null } }));
  writeFileSync(join(cfg, "cameras", `${o.camera}.yaml`), JSON.stringify({ id: o.camera, source: o.file }));
  const out = join(o.work, `${o.camera}.jsonl`);
  const agent = await startAgent({
    configDir: cfg,
    output: out,
    once: true,
    fast: true,
    opsPort: null,
    pipeline: o.pool,
    processMetrics: false,
    logger: o.logger,
    env: {
      ...process.env,
      ARGUS_AGENT_ID: o.creds.id,
      ARGUS_BROKER_URL: o.creds.mqtt.url,
      ARGUS_BROKER_USERNAME: o.creds.mqtt.username,
      ARGUS_BROKER_PASSWORD: o.creds.mqtt.password ?? "",
    },
  });
  const { exitCode } = await agent.finished;
  const events =
    exitCode === 0
      ? readFileSync(out, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FaceEvent)
      : [];
  return { exitCode, events };
}
