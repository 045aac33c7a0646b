/**
 * The REST contract's closed sets, as plain constants: the console imports these at run time
 * without bundling zod (common.ts builds its enums from them).
 */
export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Higher rank includes the lower roles' rights. */
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const LISTS = ["friend", "foe"] as const;
export type ListName = (typeof LISTS)[number];

export const PERSON_KINDS = ["auto", "enrolled"] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

/** What a sighting meant when it was stored: the person's list, or a regular at that camera. */
export const VERDICTS = ["foe", "friend", "regular", "none"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const ALERT_TYPES = ["foe", "unknown_at_sensitive_camera"] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const FACE_SOURCES = ["enrol", "sighting"] as const;
export type FaceSource = (typeof FACE_SOURCES)[number];

/** Event types of GET /api/v1/stream. */
export const STREAM_EVENTS = ["sighting", "alert", "alert-ack", "person", "camera", "agent"] as const;
export type StreamEventType = (typeof STREAM_EVENTS)[number];

/** How sure a match is (calibrated on the model's impostor scores), weakest first. */
export const GRADES = ["possible", "likely", "strong"] as const;
export type Grade = (typeof GRADES)[number];

/** Alert triage: the longest note kept with an acknowledgement. */
export const ACK_NOTE_MAX = 500;
/** Alerts acknowledged by one request at most. */
export const BULK_ACK_MAX = 500;
/** The longest mute: 30 days, in minutes. */
export const MUTE_MAX_MINUTES = 43_200;
