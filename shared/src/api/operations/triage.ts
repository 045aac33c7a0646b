/** Alert triage (bulk acknowledgement with a note, mutes) and the server's settings that are safe to show. */
import { items } from "../common.ts";
import { AlertBulkAckSchema, BulkAckResultSchema, MuteCreateSchema, MuteSchema, SettingsSchema } from "../triage.ts";
import { created, done, idParams, json, type Operation, ok, op } from "./types.ts";

export const triageOperations = {
  bulkAckAlerts: op({
    method: "post",
    path: "/api/v1/alerts/bulk-ack",
    summary: "Acknowledge several alerts at once, with an optional note",
    description:
      "Each alert not yet acknowledged gets the caller, the time and the note (the first acknowledgement wins); " +
      "each acknowledgement is in the audit log (alert.ack) and on the event stream (alert-ack).",
    role: "operator",
    body: json(AlertBulkAckSchema),
    response: ok(BulkAckResultSchema),
  }),
  listMutes: op({
    method: "get",
    path: "/api/v1/mutes",
    summary: "Mutes still in force, soonest end first",
    role: "viewer",
    response: ok(items(MuteSchema)),
  }),
  createMute: op({
    method: "post",
    path: "/api/v1/mutes",
    summary: "Mute a camera's or a person's alerts for a while",
    description:
      "While a mute is in force, the alerts it matches are stored with muted=true (listed, shown collapsed in the console) " +
      "but not announced: no webhook delivery, nothing on the MQTT alerts topic, no sound or notification. " +
      "Foe alerts are muted only with includeFoe=true (a camera under maintenance).",
    role: "operator",
    body: json(MuteCreateSchema),
    response: created(MuteSchema),
    errors: [404],
  }),
  deleteMute: op({
    method: "delete",
    path: "/api/v1/mutes/{id}",
    summary: "End a mute now",
    role: "operator",
    params: idParams,
    response: done,
    errors: [404],
  }),
  getSettings: op({
    method: "get",
    path: "/api/v1/admin/settings",
    summary: "The server's effective settings, secrets redacted",
    description: "Passwords, tokens, secrets and credentials in URLs are replaced by '[redacted]'.",
    role: "admin",
    response: ok(SettingsSchema),
  }),
} satisfies Record<string, Operation>;
