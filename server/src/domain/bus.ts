/**
 * In-process domain events, emitted after the data is committed: the SSE hub, the MQTT alert
 * publisher and the webhook worker listen here.
 */
import { EventEmitter } from "node:events";
import type { Alert, Camera, Person, Sighting } from "./types.ts";

export interface BusEvents {
  sighting: [{ sighting: Sighting; person: Person | null; isNew: boolean }];
  alert: [{ alert: Alert; person: Person | null; sighting: Sighting }];
  person: [{ action: "created" | "updated" | "merged" | "deleted"; personId: string; person?: Person; into?: string }];
  camera: [{ camera: Camera }];
  agent: [{ agentId: string; status: Record<string, unknown> }];
}

export class Bus extends EventEmitter<BusEvents> {}
