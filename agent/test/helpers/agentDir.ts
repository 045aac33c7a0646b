/** Config directories for agent tests (JSON is valid YAML), and an MQTT subscriber that records what arrives. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FaceEvent, parseFaceEvent } from "@argus/shared";
import mqtt, { type MqttClient } from "mqtt";
import { tempDir } from "./env.ts";

export function makeConfigDir(agent: object | undefined, cameras: Record<string, object>): string {
  const dir = tempDir("agentcfg");
  if (agent) writeFileSync(join(dir, "agent.yaml"), JSON.stringify(agent, null, 2));
  mkdirSync(join(dir, "cameras"));
  for (const [name, cam] of Object.entries(cameras))
    writeFileSync(join(dir, "cameras", `${name}.yaml`), JSON.stringify(cam));
  return dir;
}

export function readJsonl(path: string): FaceEvent[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FaceEvent);
}

export interface Received {
  topic: string;
  event?: FaceEvent;
  error?: string;
  retain: boolean;
  raw: string;
}

export interface Subscriber {
  client: MqttClient;
  messages: Received[];
  faces(): FaceEvent[];
  close(): Promise<void>;
}

/** A persistent-session QoS 1 subscriber (as the server is): messages published while it is away are kept for it. */
export async function subscribe(
  url: string,
  auth: { username: string; password: string },
  topics: string[],
  clientId = `test-sub-${process.pid}-${Date.now()}`,
): Promise<Subscriber> {
  const client = mqtt.connect(url, { ...auth, clientId, clean: false, reconnectPeriod: 200 });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    const raw = payload.toString();
    if (topic.endsWith("/faces")) {
      const r = parseFaceEvent(payload);
      messages.push(
        r.ok
          ? { topic, event: r.event, retain: packet.retain, raw: "" }
          : { topic, error: r.error, retain: packet.retain, raw },
      );
    } else {
      messages.push({ topic, retain: packet.retain, raw });
    }
  });
  client.on("error", () => {});
  await new Promise<void>((res, rej) => {
    client.once("connect", () => res());
    client.once("error", rej);
  });
  await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    messages,
    faces: () => messages.flatMap((m) => (m.event ? [m.event] : [])),
    close: () => client.endAsync(),
  };
}
