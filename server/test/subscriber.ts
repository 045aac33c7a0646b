/** A real MQTT subscriber (mqtt.js) for the integration tests: every message kept, waits on them. */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { waitFor } from "./helpers.ts";

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export class Subscriber {
  readonly messages: Received[] = [];
  closed = 0;

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) =>
      this.messages.push({ topic, payload: payload.toString("utf8"), retain: packet.retain, at: Date.now() }),
    );
    client.on("close", () => this.closed++);
  }

  /** Connects (rejects with the CONNACK error: `code` 2 identifier rejected, 4/5 bad login). */
  static async connect(url: string, o: IClientOptions): Promise<Subscriber> {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    await new Promise<void>((res, rej) => {
      c.once("connect", () => res());
      c.once("error", (e) => {
        c.end(true);
        rej(e);
      });
      c.once("close", () => rej(new Error("closed before CONNACK")));
    });
    return new Subscriber(c);
  }

  /** Granted QoS per filter (128: refused). */
  async subscribe(...filters: string[]): Promise<number[]> {
    try {
      return (await this.client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
    } catch (e) {
      // mqtt.js rejects a SUBACK with any refusal; the codes are in its packet.
      const granted = (e as { packet?: { granted?: Array<number | { qos: number }> } }).packet?.granted;
      if (!granted) throw e;
      return granted.map((g) => (typeof g === "number" ? g : g.qos));
    }
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** The first message (after `from`) that satisfies `pred`. */
  async next(pred: (m: Received) => boolean, what: string, timeoutMs = 15_000, from = 0): Promise<Received> {
    let hit: Received | undefined;
    await waitFor(
      async () => {
        hit = this.messages.slice(from).find(pred);
        return !!hit;
      },
      what,
      timeoutMs,
    );
    return hit!;
  }

  /** The last payload on a topic (retained state). */
  last(topic: string): string | undefined {
    return this.on(topic).at(-1)?.payload;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
