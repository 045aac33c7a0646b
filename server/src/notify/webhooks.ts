/**
 * Webhook delivery of alerts: each (alert, webhook) pair is a delivery row written in the same commit
 * as the alert (an outbox), so a restart resumes pending deliveries. Bodies are HMAC-SHA256 signed;
 * failures are retried with exponential backoff and recorded; after the last attempt a delivery is
 * marked failed. Targets are checked (no internal addresses unless allowed) by webhookTarget.ts, which
 * also makes the requests.
 */
import { createHmac } from "node:crypto";
import { backoffDelay, type Logger } from "@argus/shared";
import type { Delivery, Webhook } from "../domain/types.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { Store } from "../store/types.ts";
import { alertView } from "../views/views.ts";
import { WebhookError, WebhookTargets } from "./webhookTarget.ts";

export const SIGNATURE_HEADER = "x-argus-signature";

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp guards against replays. */
export function signBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

export function verifySignature(secret: string, body: string, header: string, toleranceS = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  return signBody(secret, body, t) === header;
}

/** Delay before redelivery number `attempt`: doubling from `baseMs`, at most an hour. */
export function backoffMs(attempt: number, baseMs: number): number {
  return backoffDelay({ initialDelayMs: baseMs, maxDelayMs: 3_600_000, factor: 2, jitter: 0 }, attempt);
}

export class WebhookWorker {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  hooks: Webhook[] = [];
  private readonly targets: WebhookTargets;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly metrics: ServerMetrics,
    private readonly opts: {
      maxAttempts: number;
      timeoutMs: number;
      backoffMs: number;
      pollMs?: number;
      /** alerts.webhookAllowHosts: internal hosts that webhooks may reach. */
      allowHosts?: readonly string[];
    },
  ) {
    this.targets = new WebhookTargets(opts.allowHosts ?? []);
  }

  /** Refuses (WebhookError) a URL whose host is internal and not allowed; for webhook creation. */
  checkTarget(url: string): Promise<void> {
    return this.targets.check(url);
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async reload(): Promise<void> {
    this.hooks = await this.store.webhooks.list();
  }

  /** Runs due deliveries now (called after an alert is committed). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.runDue()
      .catch((e) => this.log.error({ err: (e as Error).message }, "webhook worker failed"))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async runDue(): Promise<void> {
    for (;;) {
      const due = await this.store.webhooks.dueDeliveries(Date.now(), 20);
      if (!due.length || this.stopped) return;
      await Promise.all(due.map((d) => this.deliver(d)));
    }
  }

  private async deliver(d: Delivery): Promise<void> {
    const hook = this.hooks.find((h) => h.id === d.webhookId);
    const alert = await this.store.alerts.get(d.alertId);
    const now = Date.now();
    if (!hook || !alert) {
      await this.store.webhooks.updateDelivery(d.id, {
        status: "failed",
        lastError: "webhook or alert no longer exists",
        updatedAt: now,
      });
      return;
    }
    const [person, sighting] = await Promise.all([
      alert.personId ? this.store.persons.get(alert.personId) : undefined,
      this.store.sightings.get(alert.sightingId),
    ]);
    const body = JSON.stringify({
      event: "alert",
      deliveryId: d.id,
      alert: alertView(alert, person ?? null, sighting),
    });
    const attempts = d.attempts + 1;
    let error: string | null = null;
    let cause: string | undefined;
    try {
      const headers = {
        "content-type": "application/json",
        "user-agent": "argus-server",
        "x-argus-event": alert.type,
        "x-argus-delivery": d.id,
        [SIGNATURE_HEADER]: signBody(hook.secret, body),
      };
      const status = await this.targets.post(hook.url, headers, body, this.opts.timeoutMs);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      // Generic words only: lastError is shown through the API and must not map the network.
      error = e instanceof WebhookError ? e.message : "delivery failed";
      cause = e instanceof WebhookError ? e.code : (e as Error).name;
    }
    const at = Date.now();
    if (!error) {
      this.metrics.webhookDeliveries.inc({ result: "delivered" });
      await this.store.webhooks.updateDelivery(d.id, { status: "delivered", attempts, lastError: null, updatedAt: at });
      return;
    }
    const final = attempts >= this.opts.maxAttempts;
    this.metrics.webhookDeliveries.inc({ result: final ? "failed" : "retry" });
    this.log.warn({ webhookId: hook.id, deliveryId: d.id, attempts, error, cause, final }, "webhook delivery failed");
    await this.store.webhooks.updateDelivery(d.id, {
      status: final ? "failed" : "pending",
      attempts,
      lastError: error,
      nextAttemptAt: at + backoffMs(attempts, this.opts.backoffMs),
      updatedAt: at,
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
