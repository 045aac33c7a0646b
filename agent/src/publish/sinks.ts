/**
 * Where the agent's face events go: the spool and its MQTT link (when a broker is configured) and/or
 * a JSONL file sink (--output). `deliver` hands one event to each; it resolves once the event is
 * stored (spooled or written), not when the broker has it. Broker acknowledgements are timed here
 * (shot-to-PUBACK latency).
 */
import { resolve } from "node:path";
import { type FaceEvent, type Logger, redactUrl } from "@argus/shared";
import type { AgentConfig } from "@argus/shared/config/schema";
import type { Shot } from "../bestshot/shot.ts";
import type { AgentMetrics } from "../ops/metrics.ts";
import { FileSink } from "./fileSink.ts";
import { MqttLink } from "./mqtt.ts";
import { Spool } from "./spool.ts";

export interface AckInfo {
  eventId: string;
  cameraId: string;
  shotToAckMs: number;
  frameToAckMs: number;
}

export interface SinksOptions {
  config: AgentConfig;
  /** Relative spool directories are resolved against it. */
  configDir: string;
  /** The file sink's JSONL path (none without it). */
  output?: string;
  log: Logger;
  metrics: AgentMetrics;
  /** The broker connection went up or down. */
  onConnected(connected: boolean): void;
  onAcked?(info: AckInfo): void;
}

/** Events remembered for latency until their PUBACK; past this the oldest are forgotten (broker long down). */
const MAX_TIMED = 100_000;

export class Sinks {
  /** performance.now() of each event's best-shot choice and of its frame's arrival, until its PUBACK. */
  private readonly chosenAt = new Map<string, { shot: number; frame: number }>();

  private constructor(
    private readonly o: SinksOptions,
    readonly spool: Spool | undefined,
    readonly link: MqttLink | undefined,
    readonly file: FileSink | undefined,
  ) {}

  static async open(o: SinksOptions): Promise<Sinks> {
    const { config: cfg, metrics } = o;
    let spool: Spool | undefined;
    let link: MqttLink | undefined;
    let sinks: Sinks | undefined;
    if (cfg.broker) {
      spool = await Spool.open(resolve(o.configDir, cfg.spool.dir), cfg.spool, o.log);
      spool.on("dropped", () => metrics.spoolDropped.inc());
      link = new MqttLink(cfg.broker, cfg.id, spool, o.log, {
        onConnected: (c) => {
          metrics.brokerConnected.set(c ? 1 : 0);
          o.onConnected(c);
        },
        onAcked: (e) => sinks?.acked(e.eventId, e.cameraId),
      });
    }
    const file = o.output ? await FileSink.open(o.output) : undefined;
    sinks = new Sinks(o, spool, link, file);
    return sinks;
  }

  /** Connects to the broker (events spooled meanwhile go out once connected). */
  start(): void {
    this.link?.start();
  }

  /** Hands an event to every sink; resolves when each has stored it. */
  async deliver(event: FaceEvent, shot: Shot): Promise<void> {
    const { file, spool, link } = this;
    const m = this.o.metrics;
    const payload = Buffer.from(JSON.stringify(event));
    const t0 = performance.now();
    const jobs: Promise<unknown>[] = [];
    if (file) jobs.push(file.write(event, payload).then(() => m.written.inc()));
    if (spool && link) {
      this.chosenAt.set(event.eventId, { shot: shot.chosenAt, frame: shot.payload.frame.arrivedAt });
      if (this.chosenAt.size > MAX_TIMED) this.chosenAt.delete(this.chosenAt.keys().next().value!);
      jobs.push(
        spool.put(link.topics.faces(this.o.config.id, event.cameraId), payload, {
          cameraId: event.cameraId,
          eventId: event.eventId,
        }),
      );
    }
    await Promise.all(jobs);
    m.stage.observe({ stage: "store" }, (performance.now() - t0) / 1000);
  }

  private acked(eventId: string, cameraId: string): void {
    const m = this.o.metrics;
    m.published.inc();
    const t = this.chosenAt.get(eventId);
    if (t === undefined) return;
    this.chosenAt.delete(eventId);
    const now = performance.now();
    m.latency.observe((now - t.shot) / 1000);
    this.o.onAcked?.({ eventId, cameraId, shotToAckMs: now - t.shot, frameToAckMs: now - t.frame });
  }

  /** --once: closes the file sink and waits until the broker has acknowledged every spooled event. */
  async drain(): Promise<void> {
    await this.file?.close().catch(() => {});
    if (this.spool) {
      this.o.log.info(
        { events: this.spool.size },
        "agent: files done; waiting for the broker to acknowledge every event",
      );
      await this.spool.whenEmpty();
    }
  }

  /**
   * Closes the file sink and the spool, then the broker connection with a last retained status
   * (made after the spool closed, so it counts what stays spooled).
   */
  async close(lastStatus: () => unknown): Promise<void> {
    await this.file?.close();
    await this.spool?.close();
    await this.link?.close(lastStatus());
    if (this.spool?.size) {
      this.o.log.warn(
        { events: this.spool.size, dir: this.spool.dir },
        "agent: undelivered events stay in the spool for the next run",
      );
    }
  }

  /** The sinks' part of the agent status. */
  status(): {
    broker?: { url: string; connected: boolean; error?: string };
    spool?: { events: number; bytes: number; dropped: number };
    output?: { path: string; events: number };
  } {
    const { spool, link, file } = this;
    const broker = this.o.config.broker;
    return {
      broker: broker && link ? { url: redactUrl(broker.url), connected: link.connected, error: link.error } : undefined,
      spool: spool ? { events: spool.size, bytes: spool.bytes, dropped: spool.droppedTotal } : undefined,
      output: file ? { path: file.path, events: file.written } : undefined,
    };
  }
}
