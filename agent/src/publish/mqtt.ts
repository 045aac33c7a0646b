/**
 * The agent's MQTT connection: authenticated, with a retained "offline" last will on the agent
 * status topic. Face events go out from the spool in order, QoS 1, at most `inflight` unacknowledged
 * at a time; a spooled event is deleted only on its PUBACK.
 *
 * No duplicates in the normal path: each spooled event is handed to the client once per process.
 * If the connection drops with events in flight, mqtt.js keeps them and resends them (in order,
 * before anything new) when it reconnects; their callbacks then fire on the late PUBACK. Only an
 * event the broker received but whose PUBACK was lost can arrive twice: the server drops it by eventId.
 */
import { readFileSync } from "node:fs";
import { type AgentStatus, type Logger, redactUrl, topics } from "@argus/shared";
import type { BrokerConfig } from "@argus/shared/config/schema";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Spool, SpoolEntry } from "./spool.ts";

export interface MqttLinkHooks {
  onConnected?(connected: boolean): void;
  /** An event's PUBACK arrived (latency figures). */
  onAcked?(e: SpoolEntry): void;
}

export class MqttLink {
  private client: MqttClient | undefined;
  /** The latest retained message per topic (statuses, snapshots): sent again on each connection. */
  private readonly retained = new Map<string, string | Buffer>();
  private pumping = false;
  private closing = false;
  private lastError = "";
  readonly topics: ReturnType<typeof topics>;
  published = 0;

  constructor(
    private readonly cfg: BrokerConfig,
    private readonly agentId: string,
    private readonly spool: Spool,
    private readonly log: Logger,
    private readonly hooks: MqttLinkHooks = {},
  ) {
    this.topics = topics(cfg.topicPrefix);
    spool.on("put", () => this.pump());
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get error(): string | undefined {
    return this.lastError || undefined;
  }

  start(): void {
    const will: AgentStatus = { agentId: this.agentId, state: "offline", at: new Date().toISOString() };
    const opts: IClientOptions = {
      clientId: this.cfg.clientId ?? `argus-agent-${this.agentId}`,
      username: this.cfg.username,
      password: this.cfg.password,
      clean: true,
      keepalive: this.cfg.keepaliveSec,
      reconnectPeriod: this.cfg.reconnectPeriodMs,
      connectTimeout: this.cfg.connectTimeoutMs,
      // Only the spool keeps events: nothing is queued in memory while offline.
      queueQoSZero: false,
      will: {
        topic: this.topics.agentStatus(this.agentId),
        payload: Buffer.from(JSON.stringify(will)),
        qos: 1,
        retain: true,
      },
    };
    if (this.cfg.caFile) opts.ca = readFileSync(this.cfg.caFile);
    this.log.info({ url: redactUrl(this.cfg.url), clientId: opts.clientId }, "mqtt: connecting");
    const c = mqtt.connect(this.cfg.url, opts);
    this.client = c;
    c.on("connect", () => {
      this.lastError = "";
      this.log.info({ url: redactUrl(this.cfg.url) }, "mqtt: connected");
      this.hooks.onConnected?.(true);
      for (const [topic, payload] of this.retained) c.publish(topic, payload, { qos: 1, retain: true });
      this.pump();
    });
    c.on("close", () => {
      if (this.closing) return;
      this.hooks.onConnected?.(false);
    });
    c.on("offline", () => {
      if (!this.closing)
        this.log.warn(
          { url: redactUrl(this.cfg.url), spooled: this.spool.size },
          "mqtt: broker unreachable; events are kept in the spool",
        );
    });
    c.on("error", (e) => {
      // Logged once per distinct error, not on every reconnect attempt.
      if (e.message !== this.lastError) {
        this.lastError = e.message;
        const auth = /not authori[sz]ed|bad user ?name or password/i.test(e.message);
        this.log.error(
          { url: redactUrl(this.cfg.url), err: e.message },
          auth
            ? "mqtt: the broker refused the agent's credentials (check broker.username and broker.password)"
            : "mqtt: connection error",
        );
      }
    });
  }

  /** Publishes a retained status message now, or when the connection is next up (latest per topic wins). */
  publishRetained(topic: string, body: unknown): void {
    const payload = JSON.stringify(body);
    this.retained.set(topic, payload);
    if (this.connected) this.client!.publish(topic, payload, { qos: 1, retain: true });
  }

  /**
   * Publishes a retained binary payload (a camera snapshot) now, or when the connection is next up;
   * only the latest per topic is kept meanwhile.
   */
  publishRetainedBytes(topic: string, payload: Buffer): void {
    this.retained.set(topic, payload);
    if (this.connected) this.client!.publish(topic, payload, { qos: 1, retain: true });
  }

  /** Sends spooled events while connected and under the in-flight limit. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
    });
  }

  private async pumpLoop(): Promise<void> {
    const c = this.client;
    while (c?.connected && !this.closing) {
      const room = this.cfg.inflight - this.spool.inflight;
      if (room <= 0) return;
      const batch = this.spool.nextIdle(room);
      if (batch.length === 0) return;
      for (const e of batch) {
        e.inflight = true;
        let payload: Buffer;
        try {
          payload = await this.spool.payload(e);
        } catch (err) {
          // The file vanished (dropped by a cap meanwhile): nothing to send.
          this.log.error(
            { eventId: e.eventId, err: (err as Error).message },
            "mqtt: spooled event unreadable; skipped",
          );
          await this.spool.ack(e);
          continue;
        }
        c.publish(e.topic, payload, { qos: 1 }, (err) => {
          if (err) {
            // Only when the client is shut down: the event stays spooled for the next run.
            e.inflight = false;
            return;
          }
          this.published++;
          this.hooks.onAcked?.(e);
          void this.spool.ack(e).then(() => this.pump());
        });
      }
    }
  }

  /** Publishes the final retained status, waits up to `timeoutMs` for in-flight events, then disconnects. */
  async close(finalStatus: unknown, timeoutMs = 5000): Promise<void> {
    const c = this.client;
    if (!c) return;
    const deadline = Date.now() + timeoutMs;
    while (c.connected && this.spool.inflight > 0 && Date.now() < deadline) await sleep(50);
    this.closing = true;
    if (c.connected) {
      await new Promise<void>((resolve) => {
        c.publish(this.topics.agentStatus(this.agentId), JSON.stringify(finalStatus), { qos: 1, retain: true }, () =>
          resolve(),
        );
        setTimeout(resolve, Math.max(100, deadline - Date.now()));
      });
    }
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
    this.hooks.onConnected?.(false);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
