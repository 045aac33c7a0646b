/**
 * Agent and camera status messages (retained, JSON): stored as the last status of the agent/camera.
 * A malformed or oversize one is kept as a dead letter like a bad face event (same bounds).
 *
 * Camera snapshots (retained, a binary JPEG on `.../cameras/<camera>/snapshot`) come through here too:
 * structurally checked (checkJpeg, SNAPSHOT_LIMITS), kept as the camera's latest (snapshots.ts), its
 * camera's `snapshotAt` set and a `camera` event sent, so open consoles load the new picture. An empty
 * payload (a cleared retained message) removes it.
 */
import { checkJpeg, jsonContainersOver, type Logger, parseTopic, SNAPSHOT_LIMITS } from "@argus/shared";
import type { Bus } from "../domain/bus.ts";
import type { Store } from "../store/types.ts";
import { type DeadLetterKeeper, LogThrottle } from "./deadLetters.ts";
import type { SnapshotStore } from "./snapshots.ts";
import { tooLarge } from "./validate.ts";

/** A status is a few kB (with many cameras, tens); anything far larger is not one and is not parsed. */
const MAX_STATUS_BYTES = 256 * 1024;
/** ... and its JSON a few objects per camera: deep nesting would not even serialize again for the store. */
const MAX_STATUS_CONTAINERS = 4096;

export class StatusHandler {
  private readonly fullLog = new LogThrottle();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly deadLetters: DeadLetterKeeper,
    private readonly prefix: string,
    private readonly snapshots?: SnapshotStore,
    private readonly log?: Logger,
  ) {}

  /** The topics this handler takes (status and snapshots): the broker and the consumer route them here. */
  isStatusTopic(topic: string): boolean {
    const kind = parseTopic(topic, this.prefix)?.kind;
    return kind === "status" || kind === "snapshot";
  }

  async handle(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic, this.prefix);
    if (t?.kind === "snapshot" && t.cameraId) return this.snapshot(topic, t.agentId, t.cameraId, payload);
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

  private async snapshot(topic: string, agentId: string, cameraId: string, payload: Buffer): Promise<void> {
    const keeper = this.snapshots;
    if (!keeper) return;
    const at = Date.now();
    if (payload.length === 0) {
      await keeper.delete(agentId, cameraId);
      if (keeper.path(agentId, cameraId)) await this.snapshotChanged(agentId, cameraId, null);
      return;
    }
    const big = tooLarge(payload, SNAPSHOT_LIMITS.maxBytes, "the snapshot limit");
    if (big) return this.deadLetters.keep(topic, payload, at, big);
    const jpeg = checkJpeg(payload, { maxSide: SNAPSHOT_LIMITS.maxSide });
    if (!jpeg.ok) return this.deadLetters.keep(topic, payload, at, `INVALID_SNAPSHOT: ${jpeg.error}`);
    const outcome = keeper.put(agentId, cameraId, payload, at);
    if (outcome === "stored") return this.snapshotChanged(agentId, cameraId, at);
    if (outcome === "bad_id")
      return this.deadLetters.keep(topic, payload, at, "INVALID_SNAPSHOT: the camera id cannot name a camera");
    // Throttled (faster than one a second): dropped, not an error of the data.
    if (outcome === "throttled") return this.log?.debug({ agentId, cameraId }, "camera snapshot too soon; dropped");
    this.fullLog.run("full", at, (suppressed) =>
      this.log?.warn(
        { agentId, cameraId, suppressed },
        "camera snapshot not kept: snapshots of too many cameras are kept already",
      ),
    );
  }

  private async snapshotChanged(agentId: string, cameraId: string, at: number | null): Promise<void> {
    await this.store.cameras.setSnapshot(agentId, cameraId, at);
    const camera = await this.store.cameras.get(agentId, cameraId);
    if (camera) this.bus.emit("camera", { camera });
  }
}
