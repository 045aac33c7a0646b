/**
 * The agent's ops endpoint wired to its parts: /metrics (gauges refreshed first), /status (the
 * status body) and /health (ok, degraded or stopping, with what is wrong).
 */
import type { Server } from "node:http";
import { startOpsServer } from "../ops/http.ts";
import type { AgentMetrics } from "../ops/metrics.ts";
import type { Sinks } from "../publish/sinks.ts";
import type { AgentStatusBody, StatusPublisher } from "./status.ts";

export interface AgentOps {
  url: string;
  close(): Promise<void>;
}

export async function startAgentOps(
  host: string,
  port: number,
  d: { metrics: AgentMetrics; status: StatusPublisher; sinks: Sinks; stopping(): boolean },
): Promise<AgentOps> {
  const { server, url } = await startOpsServer(host, port, {
    registry: d.metrics.registry,
    beforeMetrics: () => d.status.refreshGauges(),
    status: () => d.status.body(),
    health: () => health(d.status.body(), d.stopping(), d.sinks.link?.connected),
  });
  return { url, close: () => closeServer(server) };
}

/** Degraded: a camera failed or is reconnecting, or the broker is unreachable. */
export function health(st: AgentStatusBody, stopping: boolean, brokerConnected: boolean | undefined) {
  const cams = Object.values(st.cameras);
  const bad = cams.filter((c) => c.state === "failed" || c.state === "reconnecting").map((c) => c.id);
  return {
    ok: !stopping,
    status: stopping ? "stopping" : bad.length || brokerConnected === false ? "degraded" : "ok",
    broker: st.broker,
    cameras: Object.fromEntries(cams.map((c) => [c.id, c.state])),
    problems: bad,
    spool: st.spool,
    configErrors: st.configErrors.length,
  };
}

const closeServer = (server: Server) => new Promise<void>((r) => server.close(() => r()));
