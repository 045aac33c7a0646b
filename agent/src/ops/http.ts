/** The agent's HTTP endpoint: /metrics (Prometheus text), /health and /status (JSON). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface OpsHandlers {
  registry: Registry;
  /** Refreshes gauges that are read rather than counted (spool size) just before a scrape. */
  beforeMetrics?(): void;
  /** `ok: false` answers 503. */
  health(): { ok: boolean; [k: string]: unknown };
  status(): unknown;
}

export async function startOpsServer(
  host: string,
  port: number,
  h: OpsHandlers,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET") return json(405, { error: "GET only" });
    if (path === "/metrics") {
      h.beforeMetrics?.();
      h.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": h.registry.contentType });
          res.end(text);
        },
        (e: Error) => json(500, { error: e.message }),
      );
      return;
    }
    if (path === "/health" || path === "/healthz") {
      const b = h.health();
      return json(b.ok ? 200 : 503, b);
    }
    if (path === "/status") return json(200, h.status());
    json(404, { error: "not found; try /metrics, /health or /status" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const hostPart = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return { server, url: `http://${hostPart}:${a.port}` };
}
