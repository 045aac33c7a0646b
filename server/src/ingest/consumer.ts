/**
 * The MQTT consumer for an external broker (Mosquitto): a persistent session (clean: false, fixed
 * client id) subscribed at QoS 1 to every agent's face, status and snapshot topics.
 *
 * mqtt.js sends the PUBACK of a QoS 1 message only when handleMessage calls back, and hands over the
 * next message only then; we call back after the event is committed. A crash before that leaves the
 * message unacknowledged in the broker's session, which redelivers it on reconnect.
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

export class MqttConsumer {
  private client!: MqttClient;
  private stopping = false;
  /** Connection generation: an ack for a message received on an older connection must not be sent. */
  private generation = 0;

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
    },
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
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
    this.client.handleMessage = (packet, callback) => {
      const gen = this.generation;
      const topic = packet.topic;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      // A status that cannot be stored is not worth blocking the stream for: agents resend it.
      const work = status.isStatusTopic(topic)
        ? status
            .handle(topic, payload)
            .catch((e) => log.error({ err: (e as Error).message, topic }, "status not stored"))
        : ingestor.submit(topic, payload);
      work.then(
        // After a reconnect the broker redelivers this message (and may reuse its packet id for
        // another): acknowledging it here could acknowledge the wrong one. The duplicate is dropped.
        () => gen === this.generation && callback(),
        (e) => {
          // Stopping: leave the message unacknowledged; the broker redelivers it to the next run.
          if (!this.stopping) log.error({ err: (e as Error).message, topic }, "message not processed");
        },
      );
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
    this.client.on("close", () => this.generation++);
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
