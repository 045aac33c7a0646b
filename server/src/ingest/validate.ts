/**
 * A face event's checks beyond the shared schema: the topic agrees with the payload, the embedding
 * comes from the server's model and is a usable vector, the crops are JPEGs. A refusal is a reason
 * string `CODE: details`, kept with the dead letter.
 */
import { type FaceEvent, parseFaceEvent, parseTopic } from "@argus/shared";
import { normalize } from "../identify/vector.ts";

/** A validated event with its decoded parts. */
export interface ValidEvent {
  e: FaceEvent;
  vector: Float32Array;
  faceJpeg: Buffer;
  contextJpeg?: Buffer;
  capturedAt: number;
  receivedAt: number;
}

const isJpeg = (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8;

export function validateEvent(
  topic: string,
  payload: Buffer,
  receivedAt: number,
  o: { prefix: string; modelId: string; modelSha256: string },
): ValidEvent | string {
  const t = parseTopic(topic, o.prefix);
  if (t?.kind !== "faces") return `BAD_TOPIC: ${topic} is not a face topic`;
  const r = parseFaceEvent(payload);
  if (!r.ok) return `INVALID_EVENT: ${r.error}`;
  const e = r.event;
  if (e.agentId !== t.agentId || e.cameraId !== t.cameraId) {
    return `TOPIC_MISMATCH: event says agent '${e.agentId}' camera '${e.cameraId}', topic says '${t.agentId}'/'${t.cameraId}'`;
  }
  if (e.embedding.modelSha256 !== o.modelSha256) {
    return `MODEL_MISMATCH: embedding from model ${e.embedding.model} (${e.embedding.modelSha256.slice(0, 12)}), the server uses ${o.modelId} (${o.modelSha256.slice(0, 12)})`;
  }
  const raw = Buffer.from(e.embedding.vector, "base64");
  const vector = new Float32Array(raw.length / 4);
  new Uint8Array(vector.buffer).set(raw);
  if (!normalize(vector)) return "BAD_EMBEDDING: zero or non-finite vector";
  const faceJpeg = Buffer.from(e.faceJpeg, "base64");
  if (!isJpeg(faceJpeg)) return "BAD_CROP: faceJpeg is not a JPEG";
  const contextJpeg = e.contextJpeg ? Buffer.from(e.contextJpeg, "base64") : undefined;
  if (contextJpeg && !isJpeg(contextJpeg)) return "BAD_CROP: contextJpeg is not a JPEG";
  return { e, vector, faceJpeg, contextJpeg, capturedAt: Date.parse(e.capturedAt), receivedAt };
}
