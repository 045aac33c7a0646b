import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FACE_EVENT_BOUNDS,
  FACE_EVENT_SCHEMA,
  type FaceEvent,
  MAX_CONTEXT_JPEG_BYTES,
  MAX_FACE_EVENT_BYTES,
  MAX_FACE_JPEG_BYTES,
  parseFaceEvent,
} from "../src/events/faceEvent.ts";
import { parseTopic, topics } from "../src/events/topics.ts";
import { embeddingFromBase64, embeddingToBase64 } from "../src/face/embed.ts";
import { encodeJpeg } from "../src/image/encode.ts";
import { checkJpeg } from "../src/image/jpegCheck.ts";

/** A 112x112 JPEG as the agent encodes its aligned face crops (sharp, quality 88). */
let FACE_JPEG: Buffer;
beforeAll(async () => {
  const data = Buffer.alloc(112 * 112 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  FACE_JPEG = await encodeJpeg({ width: 112, height: 112, data }, 88);
});

/** The JPEG grown to exactly `size` bytes with comment (COM) segments after SOI: still a valid JPEG. */
function padJpeg(jpeg: Buffer, size: number): Buffer {
  const parts = [jpeg.subarray(0, 2)];
  let left = size - jpeg.length;
  while (left > 0) {
    const n = Math.min(left, 65_535 + 2);
    const body = Math.max(n - 4, 0);
    const seg = Buffer.alloc(body + 4, 0x20);
    seg[0] = 0xff;
    seg[1] = 0xfe;
    seg.writeUInt16BE(body + 2, 2);
    parts.push(seg);
    left -= seg.length;
  }
  parts.push(jpeg.subarray(2));
  return Buffer.concat(parts);
}

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
    faceJpeg: FACE_JPEG.toString("base64"),
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

  it("refuses deeply nested JSON before parsing it (a depth scan, not a JSON.parse that overflows)", () => {
    const deep = Buffer.from(`{"box":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`);
    expect(parseFaceEvent(deep)).toMatchObject({ ok: false, error: expect.stringMatching(/more than 512 JSON/) });
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

const refused = (mutate: (e: FaceEvent & Record<string, unknown>) => void, field: RegExp) => {
  const e = event() as FaceEvent & Record<string, unknown>;
  mutate(e);
  const r = parseFaceEvent(JSON.stringify(e));
  expect(r.ok, JSON.stringify(e).slice(0, 200)).toBe(false);
  if (!r.ok) expect(r.error).toMatch(field);
};

describe("face event bounds", () => {
  it("refuses numbers outside their physical range", () => {
    refused((e) => (e.box = [10, 20, 1e308, 140]), /^box/);
    refused((e) => (e.box = [-1e308, 20, 110, 140]), /^box/);
    refused((e) => (e.box = [10, 20, 110 + 3 * 1920, 140]), /^box.*frame/);
    refused((e) => (e.attributes = { age: 1e308 }), /attributes\.age/);
    refused((e) => (e.attributes = { age: 131 }), /attributes\.age/);
    refused((e) => (e.attributes = { age: -1 }), /attributes\.age/);
    refused((e) => (e.frame = { width: 0, height: 1080 }), /frame\.width/);
    refused((e) => (e.frame = { width: 1920, height: 100_000 }), /frame\.height/);
    refused((e) => (e.streamTimeMs = -1), /streamTimeMs/);
    refused((e) => (e.streamTimeMs = 1e300), /streamTimeMs/);
    refused((e) => (e.seq = 1e12), /seq/);
    refused((e) => (e.seq = 1.5), /seq/);
    refused((e) => (e.quality.yaw = 500), /quality\.yaw/);
    refused((e) => (e.quality.roll = -1e308), /quality\.roll/);
    refused((e) => (e.quality.brightness = 256), /quality\.brightness/);
    refused((e) => (e.quality.sharpness = 1e9), /quality\.sharpness/);
    refused((e) => (e.quality.sizePx = 1e308), /quality\.sizePx/);
    refused((e) => (e.quality.interocularPx = 10 * 1920), /quality\.interocularPx/);
    refused(
      (e) =>
        (e.landmarks5 = [
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
          [1e308, 5],
        ]),
      /landmarks5/,
    );
    refused((e) => (e.embedding.model = "m".repeat(10_000)), /embedding\.model/);
  });

  it("accepts what honest agents send: boxes cut by the frame border, extreme but real poses, old capture times", () => {
    const e = event();
    e.box = [-30, -12, 80, 100]; // a face half out of the frame
    e.landmarks5 = [
      [-5, 10],
      [20, 10],
      [10, 20],
      [0, 30],
      [15, 30],
    ];
    e.quality = { ...e.quality, yaw: -90, pitch: 90, roll: 179.9, brightness: 0, contrast: 127.5 };
    e.attributes = { age: 0, gender: "female" };
    e.seq = 40;
    // The schema does not judge clocks: the server takes capturedAt only within its skew window.
    e.capturedAt = "1970-01-01T00:00:00.000Z";
    expect(parseFaceEvent(JSON.stringify(e))).toMatchObject({ ok: true });
    e.capturedAt = "9999-12-31T23:59:59.999Z";
    expect(parseFaceEvent(JSON.stringify(e))).toMatchObject({ ok: true });
  });

  it("refuses crops that are not JPEGs of sane size, with the check's reason", () => {
    const html = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from("<html><body>not an image</body></html>")]);
    refused((e) => (e.faceJpeg = html.toString("base64")), /^faceJpeg: .*JPEG/);
    refused((e) => (e.faceJpeg = FACE_JPEG.subarray(0, FACE_JPEG.length - 100).toString("base64")), /faceJpeg.*EOI/);
    refused((e) => (e.contextJpeg = Buffer.from("GIF89a....").toString("base64")), /contextJpeg.*SOI/);
    // A valid structure declaring 60000x60000 pixels: refused without decoding.
    const bomb = Buffer.from(FACE_JPEG);
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(60_000, sof + 5);
    bomb.writeUInt16BE(60_000, sof + 7);
    refused((e) => (e.faceJpeg = bomb.toString("base64")), /faceJpeg.*60000x60000/);
    refused((e) => (e.contextJpeg = bomb.toString("base64")), /contextJpeg.*60000x60000/);
  });

  it("bounds a schema-valid event's size by MAX_FACE_EVENT_BYTES", () => {
    const e = event();
    e.faceJpeg = padJpeg(FACE_JPEG, MAX_FACE_JPEG_BYTES).toString("base64");
    e.contextJpeg = padJpeg(FACE_JPEG, MAX_CONTEXT_JPEG_BYTES).toString("base64");
    e.agentId = "a".repeat(64);
    e.cameraId = "c".repeat(64);
    e.trackId = "\u0001".repeat(128); // escaped to 6 bytes each in JSON
    e.embedding.model = "\u0001".repeat(128);
    e.landmarks5 = Array.from({ length: 5 }, () => [-1000.5678901234567, -1000.5678901234567] as [number, number]);
    e.attributes = { age: 12.345678901234567, gender: "female" };
    const json = JSON.stringify(e);
    expect(parseFaceEvent(json)).toMatchObject({ ok: true });
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_FACE_EVENT_BYTES);
    expect(MAX_FACE_EVENT_BYTES).toBeLessThan(2 * 1024 * 1024); // the server's default mqtt.maxPacketBytes
  });
});

describe("checkJpeg", () => {
  it("reads the size of baseline and progressive JPEGs without decoding them", async () => {
    expect(checkJpeg(FACE_JPEG, { maxSide: 1024 })).toMatchObject({ ok: true, width: 112, height: 112 });
    const sharp = (await import("sharp")).default;
    const prog = await sharp({ create: { width: 640, height: 360, channels: 3, background: "#456" } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect(checkJpeg(prog, { maxSide: 1024 })).toMatchObject({ ok: true, width: 640, height: 360, progressive: true });
    expect(checkJpeg(prog, { maxSide: 512 })).toMatchObject({ ok: false, error: expect.stringMatching(/640x360/) });
    expect(checkJpeg(prog, { maxSide: 1024, maxPixels: 1000 })).toMatchObject({ ok: false });
    expect(checkJpeg(padJpeg(FACE_JPEG, 100_000), { maxSide: 1024 })).toMatchObject({ ok: true, width: 112 });
  });

  it("refuses everything else with a reason", () => {
    const lim = { maxSide: FACE_EVENT_BOUNDS.maxFaceJpegSide };
    expect(checkJpeg(Buffer.alloc(0), lim)).toMatchObject({ ok: false, error: expect.stringMatching(/SOI/) });
    expect(checkJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), lim)).toMatchObject({ ok: false });
    const noSof = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00, 0xff, 0xd9]);
    expect(checkJpeg(noSof, lim)).toMatchObject({ ok: false, error: expect.stringMatching(/frame header/) });
    const overrun = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x7f, 0xff, 0x00, 0xff, 0xd9]);
    expect(checkJpeg(overrun, lim)).toMatchObject({ ok: false, error: expect.stringMatching(/overruns/) });
    for (let n = 0; n < FACE_JPEG.length; n += 97)
      expect(checkJpeg(FACE_JPEG.subarray(0, n), lim).ok, `first ${n} bytes`).toBe(false);
  });
});
