/**
 * The agents of bench/server-ingest.ts, in a child process (agents must not share the server's event
 * loop): each publishes its events at QoS 1 with a window of
 * unacknowledged messages and records the time to each PUBACK.
 */
import { agentClient } from "../server/test/helpers.ts";

interface AgentJob {
  url: string;
  username: string;
  password: string;
  topics: string[];
  payloads: string[];
}
const { agents, window } = await new Promise<{ agents: AgentJob[]; window: number }>((res) =>
  process.once("message", (m) => res(m as { agents: AgentJob[]; window: number })),
);

const clients = await Promise.all(agents.map((a) => agentClient(a.url, a.username, a.password)));
const lat: number[] = [];
const t0 = performance.now();
await Promise.all(
  agents.map(
    (a, i) =>
      new Promise<void>((resolve) => {
        const c = clients[i];
        let sent = 0;
        let acked = 0;
        const pump = () => {
          while (sent < a.payloads.length && sent - acked < window) {
            const k = sent++;
            const ts = performance.now();
            c.publish(a.topics[k], a.payloads[k], { qos: 1 }, () => {
              lat.push(performance.now() - ts);
              if (++acked === a.payloads.length) resolve();
              else pump();
            });
          }
        };
        pump();
      }),
  ),
);
const ms = performance.now() - t0;
for (const c of clients) c.end(true);
const cpu = process.cpuUsage();
process.send!({ lat, ms, startedAt: performance.timeOrigin + t0, cpuMs: (cpu.user + cpu.system) / 1000 });
