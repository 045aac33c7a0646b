/**
 * Sends committed events to their audiences: SSE clients, the MQTT alert and sighting topics
 * (the event stream's JSON: crop URLs, never the crops), webhooks.
 */
import { type Logger, topics } from "@argus/shared";
import type { Bus } from "../domain/bus.ts";
import type { PublishOptions } from "../ingest/broker.ts";
import { alertView, cameraView, personView, sightingView } from "../views/views.ts";
import type { SseHub } from "./sseHub.ts";
import type { WebhookWorker } from "./webhooks.ts";

export function wireFanout(opts: {
  bus: Bus;
  sse: SseHub;
  webhooks: WebhookWorker;
  publishMqtt: (topic: string, payload: string, o?: PublishOptions) => Promise<void>;
  prefix: string;
  /** Also publish sightings on `<prefix>/v1/sightings` (integrations.mqttSightings). */
  mqttSightings: boolean;
  log: Logger;
}): void {
  const { bus, sse, webhooks, log } = opts;
  const alertTopic = topics(opts.prefix).alerts();
  const sightingTopic = topics(opts.prefix).sightings();
  bus.on("sighting", ({ sighting, person, isNew }) => {
    const view = { ...sightingView(sighting, person), isNew };
    sse.publish("sighting", view);
    if (opts.mqttSightings)
      opts
        .publishMqtt(sightingTopic, JSON.stringify(view))
        .catch((e) => log.error({ err: (e as Error).message }, "sighting not published to MQTT"));
  });
  bus.on("alert", ({ alert, person, sighting }) => {
    const view = alertView(alert, person, sighting);
    sse.publish("alert", view);
    // A muted alert is stored and shown (collapsed) in the console, but not announced elsewhere.
    if (alert.mutedBy) return;
    opts
      .publishMqtt(alertTopic, JSON.stringify(view))
      .catch((e) => log.error({ err: (e as Error).message }, "alert not published to MQTT"));
    webhooks.kick();
  });
  bus.on("person", (e) =>
    sse.publish("person", {
      action: e.action,
      personId: e.personId,
      into: e.into,
      person: e.person ? personView(e.person) : undefined,
    }),
  );
  bus.on("camera", ({ camera }) => sse.publish("camera", cameraView(camera)));
  bus.on("agent", (e) => sse.publish("agent", e));
}
