/**
 * The MQTT consumer for an external broker (Mosquitto): a persistent session (clean: false, fixed
 * client id) subscribed at QoS 1 to every agent's face, status and snapshot topics.
 *
 * Acknowledged means committed, without one commit per message. mqtt.js hands over one message at a
 * time and sends its PUBACK when handleMessage calls back: called back at commit, the ingestor would
 * never see more than one event from this connection (one commit per event). So handleMessage submits
 * the message and calls back at once with an error, which makes mqtt.js send no PUBACK and read the
 * next message (mqtt.js 5: `handlePublish` passes the error to its work loop, which moves on); the
 * consumer sends each PUBACK itself once the message is committed, in the order the messages arrived
 * (MQTT-4.6.0-2). The messages of one read and those the broker sends meanwhile (up to its in-flight
 * limit: Mosquitto's `max_inflight_messages`) reach the ingestor together and are committed in one
 * transaction, as on the embedded broker. Beyond `mqtt.receiveWindow` messages (or
 * `mqtt.receiveWindowBytes`) received and not acknowledged, the next one waits: mqtt.js stops reading
 * the socket, and the broker keeps the rest queued.
 *
 * A crash before a commit leaves its messages unacknowledged in the broker's session, which redelivers
 * them on reconnect; a PUBACK is never sent on a later connection than its message's (packet ids are
 * reused there), and the ingestor drops the redelivered duplicates of what it had committed.
 *
 * Status messages are stored one after another in arrival order (not through the ingestor); a status
 * that cannot be stored is logged and acknowledged (agents resend them).
 *
 * What the broker lets through is bounded here too: a payload over `mqtt.maxPacketBytes` becomes a
 * PAYLOAD_TOO_LARGE dead letter before anything parses it (ingestor / status handler), and is
 * acknowledged like every dead letter, so the broker does not redeliver it forever. (mqtt.js still
 * reads such a message whole: the broker's own `max_packet_size` is what stops it earlier.)
 *
 * Availability: the connection's last will is a retained "offline" on `<prefix>/v1/server/status`
 * (the broker publishes it when the server dies or its connection drops); each connection publishes a
 * retained "online" there, and a clean stop an explicit "offline" before it disconnects.
 */
import { type Logger, redactUrl, SERVER_OFFLINE, SERVER_ONLINE, topics } from "@argus/shared";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { PublishOptions } from "./broker.ts";
import type { Ingestor } from "./ingestor.ts";
import type { StatusHandler } from "./status.ts";

/** Passed to handleMessage's callback: mqtt.js then sends no PUBACK and hands over the next message. */
const PUBACK_DEFERRED = new Error("PUBACK deferred until the message is committed");

/** A message received on the current connection whose PUBACK (QoS 1) waits for its commit. */
interface Unacked {
  /** Undefined for QoS 0: nothing to acknowledge. */
  messageId: number | undefined;
  bytes: number;
  /** The connection it came in on: its PUBACK goes there or nowhere. */
  stream: unknown;
  state: "pending" | "done" | "failed";
}

/** mqtt.js's own packet writer (no offline queue when called while connected). */
type PacketWriter = { _sendPacket(packet: { cmd: "puback"; messageId: number }): void };

export class MqttConsumer {
  private client!: MqttClient;
  private stopping = false;
  /** Received and not yet acknowledged, in arrival order; replaced when the connection closes. */
  private unacked: Unacked[] = [];
  private unackedBytes = 0;
  /** mqtt.js's callback for the message that filled the window: called when it has room again. */
  private held: (() => void) | undefined;
  /** Status messages are stored in the order they arrive. */
  private statusChain: Promise<void> = Promise.resolve();
  private corked = false;

  constructor(
    private readonly opts: {
      url: string;
      username?: string;
      password?: string;
      clientId: string;
      prefix: string;
      ingestor: Ingestor;
      status: StatusHandler;
      log: Logger;
      /** Most messages received and not yet acknowledged (`mqtt.receiveWindow`). */
      receiveWindow?: number;
      /** ... and their payload bytes (`mqtt.receiveWindowBytes`). */
      receiveWindowBytes?: number;
    },
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Messages received on this connection whose PUBACK waits for their commit. */
  get unacknowledged(): number {
    return this.unacked.length;
  }

  async start(): Promise<void> {
    const { url, username, password, clientId, prefix, ingestor, status, log } = this.opts;
    const t = topics(prefix);
    const options: IClientOptions = {
      clientId,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: t.serverStatus(), payload: Buffer.from(SERVER_OFFLINE), qos: 1, retain: true },
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    };
    this.client = mqtt.connect(url, options);
    // The deferred PUBACKs use mqtt.js 5's packet writer: a version without it must fail here, loudly,
    // not run without ever acknowledging (test/mosquitto-ingest.test.ts pins the behaviour).
    if (typeof (this.client as unknown as Partial<PacketWriter>)._sendPacket !== "function") {
      this.client.end(true);
      throw new Error("this mqtt.js has no _sendPacket: the consumer cannot send its PUBACKs after the commit");
    }
    this.client.handleMessage = (packet, callback) => {
      const topic = packet.topic;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const work = status.isStatusTopic(topic)
        ? this.inOrder(() =>
            // A status that cannot be stored is not worth blocking the stream for: agents resend it.
            status
              .handle(topic, payload)
              .catch((e) => log.error({ err: (e as Error).message, topic }, "status not stored")),
          )
        : ingestor.submit(topic, payload);
      // QoS 0 (an agent may publish so) has no PUBACK but counts in the window like the others.
      const m: Unacked = {
        messageId: packet.qos === 1 ? packet.messageId : undefined,
        bytes: payload.length,
        stream: this.client.stream,
        state: "pending",
      };
      const queue = this.unacked;
      queue.push(m);
      this.unackedBytes += m.bytes;
      work.then(
        () => {
          m.state = "done";
          this.acknowledge(queue);
        },
        (e) => {
          // Stopping: left unacknowledged; the broker redelivers it to the next run.
          if (!this.stopping) log.error({ err: (e as Error).message, topic }, "message not processed");
          m.state = "failed";
          this.acknowledge(queue);
        },
      );
      const next = () => callback(PUBACK_DEFERRED);
      if (this.windowFull()) this.held = next;
      else next();
    };
    this.client.on("connect", (ack) => {
      log.info({ broker: redactUrl(url), sessionPresent: ack.sessionPresent }, "connected to the MQTT broker");
      // Subscribing again is harmless with a persistent session and needed without one.
      const subs = [t.allFaces(), t.allAgentStatus(), t.allCameraStatus(), t.allCameraSnapshots()];
      this.client.subscribe(subs, { qos: 1 }, (err) => {
        if (err) log.error({ err: err.message }, "MQTT subscribe failed");
      });
      // After a drop the broker published the will: say "online" again on every connection.
      this.publish(t.serverStatus(), SERVER_ONLINE, { retain: true }).catch((e) =>
        log.warn({ err: (e as Error).message }, "server availability not published"),
      );
    });
    this.client.on("close", () => {
      // The broker redelivers every unacknowledged message on the next connection (and may reuse their
      // packet ids for others there): none of these is acknowledged any more; duplicates are dropped.
      this.unacked = [];
      this.unackedBytes = 0;
      this.release();
    });
    this.client.on("reconnect", () => log.warn({ broker: redactUrl(url) }, "reconnecting to the MQTT broker"));
    this.client.on("error", (e) => log.error({ err: e.message }, "MQTT client error"));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no connection to the MQTT broker ${redactUrl(url)} within 15 s`)),
        15_000,
      );
      this.client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch((e) => {
      this.client.end(true);
      throw e;
    });
  }

  private inOrder(f: () => Promise<void>): Promise<void> {
    const run = this.statusChain.then(f);
    this.statusChain = run.catch(() => {});
    return run;
  }

  private windowFull(): boolean {
    return (
      this.unacked.length >= (this.opts.receiveWindow ?? 256) ||
      this.unackedBytes >= (this.opts.receiveWindowBytes ?? 64 * 1024 * 1024)
    );
  }

  private release(): void {
    const held = this.held;
    this.held = undefined;
    held?.();
  }

  /**
   * Sends the PUBACKs of the committed messages at the head of the queue, in arrival order: a message
   * still being processed holds back the acknowledgements of those after it. A failed one (stopping)
   * gets none: the broker redelivers it.
   */
  private acknowledge(queue: Unacked[]): void {
    if (queue !== this.unacked) return; // an older connection's: the broker redelivers those
    while (queue.length && queue[0].state !== "pending") {
      const m = queue.shift()!;
      this.unackedBytes -= m.bytes;
      if (m.state === "done" && m.messageId !== undefined && this.client.connected && this.client.stream === m.stream) {
        this.cork();
        (this.client as unknown as PacketWriter)._sendPacket({ cmd: "puback", messageId: m.messageId });
      }
    }
    if (this.held && !this.windowFull()) this.release();
  }

  /** A batch's PUBACKs (resolved in one turn) leave in one write. */
  private cork(): void {
    if (this.corked) return;
    const stream = this.client.stream as { cork?: () => void; uncork?: () => void };
    if (!stream.cork || !stream.uncork) return;
    stream.cork();
    this.corked = true;
    process.nextTick(() => {
      this.corked = false;
      stream.uncork!();
    });
  }

  publish(topic: string, payload: string, o: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.publish(topic, payload, { qos: o.qos ?? 1, retain: o.retain ?? false }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // A clean disconnect discards the will: say "offline" ourselves (acknowledged, or given up after 2 s).
    if (this.client.connected) {
      const offline = this.publish(topics(this.opts.prefix).serverStatus(), SERVER_OFFLINE, { retain: true });
      await Promise.race([offline.catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.client.endAsync(true);
  }
}
