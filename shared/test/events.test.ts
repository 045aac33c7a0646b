import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FACE_EVENT_SCHEMA, type FaceEvent, parseFaceEvent } from "../src/events/faceEvent.ts";
import { parseTopic, topics } from "../src/events/topics.ts";
import { embeddingFromBase64, embeddingToBase64 } from "../src/face/embed.ts";

function event(): FaceEvent {
  const v = new Float32Array(512).fill(1 / Math.sqrt(512));
  return {
    schema: FACE_EVENT_SCHEMA,
    version: 1,
    eventId: randomUUID(),
    agentId: "site-1",
    cameraId: "entrance",
    trackId: "t-1",
    mode: "offline",
    seq: 0,
    capturedAt: new Date().toISOString(),
    streamTimeMs: 1234,
    frame: { width: 1920, height: 1080 },
    box: [10, 20, 110, 140],
    quality: {
      score: 0.8,
      detScore: 0.99,
      sizePx: 120,
      interocularPx: 45,
      sharpness: 300,
      yaw: 3,
      pitch: -2,
      roll: 1,
      brightness: 120,
      contrast: 40,
    },
    embedding: { model: "fr_feature", modelSha256: "a".repeat(64), dim: 512, vector: embeddingToBase64(v) },
    faceJpeg: Buffer.from("jpegbytes").toString("base64"),
  };
}

describe("face event schema", () => {
  it("accepts a valid event and round-trips the embedding", () => {
    const e = event();
    const r = parseFaceEvent(JSON.stringify(e));
    expect(r.ok).toBe(true);
    if (r.ok) expect(embeddingFromBase64(r.event.embedding.vector)[7]).toBeCloseTo(1 / Math.sqrt(512), 6);
  });

  it("rejects malformed payloads with a message naming the field, without throwing", () => {
    expect(parseFaceEvent("{not json")).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON/) });
    expect(parseFaceEvent(Buffer.from([0xff, 0xfe, 0x00]))).toMatchObject({ ok: false });
    const bad = { ...event(), box: [10, 20, 5, 140] };
    expect(parseFaceEvent(JSON.stringify(bad))).toMatchObject({ ok: false, error: expect.stringMatching(/^box/) });
    const short = event();
    short.embedding.vector = Buffer.alloc(100).toString("base64");
    expect(parseFaceEvent(JSON.stringify(short))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/embedding\.vector.*2048 bytes/),
    });
    const badId = { ...event(), agentId: "a/b" };
    expect(parseFaceEvent(JSON.stringify(badId))).toMatchObject({ ok: false, error: expect.stringMatching(/agentId/) });
    expect(parseFaceEvent(JSON.stringify({ ...event(), version: 2 }))).toMatchObject({ ok: false });
  });
});

describe("topics", () => {
  it("builds and parses the versioned layout", () => {
    const t = topics("acme");
    expect(t.faces("a1", "cam")).toBe("acme/v1/agents/a1/cameras/cam/faces");
    expect(parseTopic(t.faces("a1", "cam"), "acme")).toEqual({ agentId: "a1", cameraId: "cam", kind: "faces" });
    expect(parseTopic(t.agentStatus("a1"), "acme")).toEqual({ agentId: "a1", kind: "status" });
    expect(parseTopic("other/v1/agents/a1/status", "acme")).toBeUndefined();
    expect(parseTopic("acme/v2/agents/a1/status", "acme")).toBeUndefined();
  });
});
