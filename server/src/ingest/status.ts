/**
 * Agent and camera status messages (retained, JSON): stored as the last status of the agent/camera.
 * A malformed or oversize one is kept as a dead letter like a bad face event (same bounds).
 */
import { jsonContainersOver, parseTopic } from "@argus/shared";
import type { Bus } from "../domain/bus.ts";
import type { Store } from "../store/types.ts";
import type { DeadLetterKeeper } from "./deadLetters.ts";
import { tooLarge } from "./validate.ts";

/** A status is a few kB (with many cameras, tens); anything far larger is not one and is not parsed. */
const MAX_STATUS_BYTES = 256 * 1024;
/** ... and its JSON a few objects per camera: deep nesting would not even serialize again for the store. */
const MAX_STATUS_CONTAINERS = 4096;

export class StatusHandler {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly deadLetters: DeadLetterKeeper,
    private readonly prefix: string,
  ) {}

  isStatusTopic(topic: string): boolean {
    return parseTopic(topic, this.prefix)?.kind === "status";
  }

  async handle(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic, this.prefix);
    if (t?.kind !== "status") return;
    if (payload.length === 0) return; // a cleared retained message
    const big = tooLarge(payload, MAX_STATUS_BYTES, "the status limit");
    if (big) return this.deadLetters.keep(topic, payload, Date.now(), big);
    let status: Record<string, unknown>;
    try {
      if (jsonContainersOver(payload, MAX_STATUS_CONTAINERS))
        throw new Error(`more than ${MAX_STATUS_CONTAINERS} JSON arrays/objects`);
      status = JSON.parse(payload.toString("utf8"));
      if (!status || typeof status !== "object" || Array.isArray(status) || typeof status.state !== "string") {
        throw new Error("expected a JSON object with a string 'state'");
      }
    } catch (e) {
      return this.deadLetters.keep(topic, payload, Date.now(), `INVALID_STATUS: ${(e as Error).message}`);
    }
    const at = Date.now();
    if (t.cameraId) {
      // The topic names the agent (the broker checked it is the sender's own): only its cameras change.
      await this.store.cameras.setStatus(t.agentId, t.cameraId, status, at);
      const camera = await this.store.cameras.get(t.agentId, t.cameraId);
      if (camera) this.bus.emit("camera", { camera });
    } else {
      await this.store.agents.setStatus(t.agentId, status, at);
      this.bus.emit("agent", { agentId: t.agentId, status });
    }
  }
}
