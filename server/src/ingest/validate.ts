/**
 * A face event's checks around the shared schema (which bounds every field and checks the crops'
 * JPEG structure): the payload is not over the size limit (checked before it is parsed), the topic
 * agrees with the payload, the embedding comes from the server's model and is a usable vector. A
 * refusal is a reason string `CODE: details`, kept with the dead letter. The capture time is taken
 * only within the clock skew window; outside it the receive time stands in and the event is flagged.
 */
import { type FaceEvent, parseFaceEvent, parseTopic } from "@argus/shared";
import { normalize } from "../identify/vector.ts";

/** A validated event with its decoded parts. */
export interface ValidEvent {
  e: FaceEvent;
  /** The shot's embedding. */
  vector: Float32Array;
  /** The track's template (identification uses it when present). */
  template?: Float32Array;
  /** The embeddings of the template's shots with their qualities (representative candidates). */
  shots?: Array<{ vector: Float32Array; quality: number }>;
  faceJpeg: Buffer;
  contextJpeg?: Buffer;
  /** The capture time used: the event's, or receivedAt when clockSkewed. */
  capturedAt: number;
  receivedAt: number;
  /** capturedAt was outside [receivedAt - maxAgeMs, receivedAt + maxAheadMs]. */
  clockSkewed: boolean;
}

export interface EventChecks {
  prefix: string;
  modelId: string;
  modelSha256: string;
  maxPayloadBytes: number;
  maxAheadMs: number;
  maxAgeMs: number;
}

/** The size check every MQTT payload gets before it is parsed. */
export function tooLarge(payload: Buffer, max: number, limit = "mqtt.maxPacketBytes"): string | undefined {
  return payload.length > max
    ? `PAYLOAD_TOO_LARGE: ${payload.length} bytes, more than ${limit} (${max}); not parsed`
    : undefined;
}

export function validateEvent(topic: string, payload: Buffer, receivedAt: number, o: EventChecks): ValidEvent | string {
  const big = tooLarge(payload, o.maxPayloadBytes);
  if (big) return big;
  const t = parseTopic(topic, o.prefix);
  if (t?.kind !== "faces") return `BAD_TOPIC: ${topic.slice(0, 200)} is not a face topic`;
  const r = parseFaceEvent(payload);
  if (!r.ok) return `INVALID_EVENT: ${r.error}`;
  const e = r.event;
  if (e.agentId !== t.agentId || e.cameraId !== t.cameraId) {
    return `TOPIC_MISMATCH: event says agent '${e.agentId}' camera '${e.cameraId}', topic says '${t.agentId}'/'${t.cameraId}'`;
  }
  if (e.embedding.modelSha256 !== o.modelSha256) {
    return `MODEL_MISMATCH: embedding from model ${e.embedding.model} (${e.embedding.modelSha256.slice(0, 12)}), the server uses ${o.modelId} (${o.modelSha256.slice(0, 12)})`;
  }
  const vector = decodeVector(e.embedding.vector);
  if (!vector) return "BAD_EMBEDDING: zero or non-finite vector";
  const template = e.embedding.template === undefined ? undefined : decodeVector(e.embedding.template);
  if (template === null) return "BAD_EMBEDDING: zero or non-finite template";
  const shots: ValidEvent["shots"] = [];
  for (const [i, sh] of (e.embedding.shots ?? []).entries()) {
    const v = decodeVector(sh.vector);
    if (!v) return `BAD_EMBEDDING: zero or non-finite shot ${i}`;
    shots.push({ vector: v, quality: sh.quality });
  }
  // The crops passed the schema's JPEG structure check.
  const faceJpeg = Buffer.from(e.faceJpeg, "base64");
  const contextJpeg = e.contextJpeg ? Buffer.from(e.contextJpeg, "base64") : undefined;
  const claimed = Date.parse(e.capturedAt);
  const clockSkewed = !(claimed <= receivedAt + o.maxAheadMs && claimed >= receivedAt - o.maxAgeMs);
  return {
    e,
    vector,
    ...(template ? { template } : {}),
    ...(shots.length ? { shots } : {}),
    faceJpeg,
    contextJpeg,
    capturedAt: clockSkewed ? receivedAt : claimed,
    receivedAt,
    clockSkewed,
  };
}

/** base64 little-endian float32 (length checked by the schema) -> an L2-normalized vector, or null. */
function decodeVector(b64: string): Float32Array | null {
  const raw = Buffer.from(b64, "base64");
  const v = new Float32Array(raw.length / 4);
  new Uint8Array(v.buffer).set(raw);
  return normalize(v) ? v : null;
}
