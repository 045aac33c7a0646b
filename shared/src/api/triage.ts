/**
 * Alert triage: acknowledging many alerts at once with a note, muting a camera or a person for a
 * while, and the server's settings that are safe to show (admin).
 */
import { z } from "zod";
import { time } from "./common.ts";
import { ACK_NOTE_MAX, BULK_ACK_MAX, MUTE_MAX_MINUTES } from "./enums.ts";

export const AlertBulkAckSchema = z
  .object({
    ids: z.array(z.string().min(1).max(64)).min(1).max(BULK_ACK_MAX).describe("the alerts to acknowledge"),
    note: z
      .string()
      .trim()
      .max(ACK_NOTE_MAX)
      .optional()
      .describe(`why (at most ${ACK_NOTE_MAX} characters); kept on each alert and in the audit log`),
  })
  .strict();

const cameraKey = z
  .string()
  .max(129)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be a camera key agent/camera");

export const MuteCreateSchema = z
  .object({
    camera: cameraKey.optional().describe("mute this camera's alerts (key agent/camera)"),
    personId: z.string().min(1).max(64).optional().describe("mute this person's alerts"),
    minutes: z.number().int().min(1).max(MUTE_MAX_MINUTES).optional().describe("for this long from now"),
    until: time.optional().describe("until this time (at most 30 days ahead)"),
    reason: z.string().trim().max(200).optional(),
    includeFoe: z
      .boolean()
      .default(false)
      .describe(
        "mute foe alerts too (a camera under maintenance); without it a foe alert is never muted and is announced as usual",
      ),
  })
  .strict()
  .refine((m) => (m.camera === undefined) !== (m.personId === undefined), "give either camera or personId")
  .refine((m) => (m.minutes === undefined) !== (m.until === undefined), "give either minutes or until");

export const MuteSchema = z
  .object({
    id: z.string(),
    target: z.enum(["camera", "person"]),
    camera: z.string().nullable().describe("camera key, for a camera mute"),
    personId: z.string().nullable().describe("for a person mute"),
    includeFoe: z.boolean(),
    until: time,
    reason: z.string().nullable(),
    createdAt: time,
    createdBy: z.string(),
    active: z.boolean().describe("whether it still mutes (its end is ahead)"),
  })
  .meta({ id: "Mute" });

export const BulkAckResultSchema = z
  .object({
    acknowledged: z.number().int().nonnegative().describe("alerts acknowledged by this request"),
    alreadyAcknowledged: z.number().int().nonnegative().describe("alerts acknowledged before (left as they were)"),
    notFound: z.array(z.string()).describe("ids of no alert"),
    ackedAt: time,
  })
  .meta({ id: "BulkAckResult" });

export const SettingsSchema = z
  .object({
    settings: z.record(z.string(), z.unknown()).describe("the effective configuration, secrets replaced"),
    redacted: z.array(z.string()).describe("the paths whose values were replaced by '[redacted]'"),
    storeKind: z.enum(["sqlite", "mongo"]),
    startedAt: time,
  })
  .meta({ id: "Settings" });
