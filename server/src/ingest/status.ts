/**
 * Agent and camera status messages (retained, JSON): stored as the last status of the agent/camera.
 * A malformed one is kept as a dead letter like a bad face event.
 */
import { randomUUID } from "node:crypto";
import { type Logger, parseTopic } from "@argus/shared";
import type { Bus } from "../domain/bus.ts";
import { DEAD_LETTER_MAX_BYTES } from "../domain/types.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { Store } from "../store/types.ts";

export class StatusHandler {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly prefix: string,
  ) {}

  isStatusTopic(topic: string): boolean {
    return parseTopic(topic, this.prefix)?.kind === "status";
  }

  async handle(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic, this.prefix);
    if (t?.kind !== "status") return;
    if (payload.length === 0) return; // a cleared retained message
    let status: Record<string, unknown>;
    try {
      status = JSON.parse(payload.toString("utf8"));
      if (!status || typeof status !== "object" || Array.isArray(status) || typeof status.state !== "string") {
        throw new Error("expected a JSON object with a string 'state'");
      }
    } catch (e) {
      const error = `INVALID_STATUS: ${(e as Error).message}`;
      this.metrics.deadLetters.inc({ reason: "INVALID_STATUS" });
      this.log.warn({ topic, error }, "invalid status message kept as a dead letter");
      await this.store.deadLetters.add({
        id: randomUUID(),
        receivedAt: Date.now(),
        topic,
        error,
        payload: payload.subarray(0, DEAD_LETTER_MAX_BYTES),
        size: payload.length,
      });
      return;
    }
    const at = Date.now();
    if (t.cameraId) {
      await this.store.cameras.setStatus(t.cameraId, t.agentId, status, at);
      const camera = await this.store.cameras.get(t.cameraId);
      if (camera) this.bus.emit("camera", { camera });
    } else {
      await this.store.agents.setStatus(t.agentId, status, at);
      this.bus.emit("agent", { agentId: t.agentId, status });
    }
  }
}
