import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArgusError } from "../src/errors.ts";
import { type AnalyzedFace, FacePipeline } from "../src/face/pipeline.ts";
import { FacePool, FacePoolError } from "../src/face/pool.ts";
import { decodeImage } from "../src/image/decode.ts";
import type { RgbImage } from "../src/image/types.ts";
import { data, HAVE_DATA } from "./helpers.ts";

const exiting = new URL("./fixtures/exitingWorker.ts", import.meta.url);
const holding = new URL("./fixtures/holdingWorker.ts", import.meta.url);

/** What a detection carries, without the pixel buffers. */
const summary = (dets: { box: number[]; score: number; face?: { quality: object; landmarks5: number[][] } }[]) =>
  dets.map((d) => ({ box: d.box, score: d.score, quality: d.face?.quality, landmarks5: d.face?.landmarks5 }));

describe.skipIf(!HAVE_DATA)("face pool on real faces", () => {
  let pool: FacePool;
  let pipeline: FacePipeline;
  let group: RgbImage;
  let portrait: RgbImage;
  beforeAll(async () => {
    [pool, pipeline] = await Promise.all([FacePool.create({ workers: 2 }), FacePipeline.create()]);
    group = await decodeImage(readFileSync(data("groups", "bbt1.jpg")));
    portrait = await decodeImage(readFileSync(data("faces", "bbt", "sheldon1.png")));
  });
  afterAll(() => pool?.close());

  it("gives the same detections, analyses and embeddings as the pipeline in process", async () => {
    const opts = { minFaceSize: 20 };
    const [inPool, inProcess] = await Promise.all([pool.analyzeFrame(group, opts), pipeline.analyzeFrame(group, opts)]);
    expect(inPool.length).toBeGreaterThan(1);
    expect(summary(inPool)).toEqual(summary(inProcess));
    const a = inPool.flatMap((d) => (d.face ? [d.face] : []));
    const b = inProcess.flatMap((d) => (d.face ? [d.face] : []));
    expect(a.map((f) => f.aligned)).toEqual(b.map((f) => f.aligned));
    await Promise.all([pool.embed(a), pipeline.embed(b)]);
    expect(a.map((f) => f.embedding)).toEqual(b.map((f) => f.embedding));

    const [v1, v2] = await Promise.all([
      pool.embedMany(a.map((f) => f.aligned)),
      pipeline.embedMany(b.map((f) => f.aligned)),
    ]);
    expect(v1).toEqual(v2);
    expect(await pool.embedMany([])).toEqual([]);

    const [p1, p2] = await Promise.all([pool.process(portrait), pipeline.process(portrait)]);
    expect(p1).toHaveLength(1);
    expect(p1[0].embedding).toEqual(p2[0].embedding);
  });

  it("answers concurrent calls each with its own result, embeddings running between frames' model runs", async () => {
    const opts = { minFaceSize: 20 };
    const single = [await pipeline.analyzeFrame(group, opts), await pipeline.analyzeFrame(portrait, opts)];
    const faces = single[0].flatMap((d) => (d.face ? [d.face] : []));
    const expected = (await pipeline.embed(faces.map((f) => ({ ...f })))).map((f) => f.embedding);
    const images = [group, portrait, group, portrait, group];
    const frames = Promise.all(images.map((im) => pool.analyzeFrame(im, opts)));
    const embeds = Promise.all(faces.map((f) => pool.embed([{ ...f, embedding: undefined }])));
    const [results, embedded] = await Promise.all([frames, embeds]);
    results.forEach((r, i) => {
      expect(summary(r)).toEqual(summary(single[i % 2]));
    });
    expect(embedded.map(([f]) => f.embedding)).toEqual(expected);
  });

  it("shares frames in shared memory and leaves the caller's other buffers intact", async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(portrait.data.length));
    shared.set(portrait.data);
    const copy = Uint8Array.from(portrait.data);
    const a = await pool.analyzeFrame({ ...portrait, data: shared });
    const b = await pool.analyzeFrame({ ...portrait, data: copy });
    expect(summary(a)).toEqual(summary(b));
    // The ordinary buffer was copied, not transferred away.
    expect(copy.length).toBe(portrait.data.length);
    expect(copy).toEqual(portrait.data);
  });

  it("rejects bad input and errors thrown in a worker, and keeps serving", async () => {
    await expect(pool.analyzeFrame({ data: new Uint8Array(10), width: 640, height: 480 })).rejects.toThrow(
      /10 bytes does not match 640x480x3/,
    );
    // Options that cannot be sent to a worker.
    await expect(pool.analyzeFrame(portrait, { regions: [() => 0] } as never)).rejects.toThrow(/could not be cloned/);
    // The workers were created without the attribute models: the error comes from inside a worker.
    await expect(pool.process(portrait, { attributes: true })).rejects.toThrow(/without attributes: true/);
    expect(await pool.process(portrait)).toHaveLength(1);
  });

  it("fails to start with the worker's own error (missing models)", async () => {
    const err = await FacePool.create({ workers: 1, dir: "/nonexistent-models" }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgusError);
    expect((err as ArgusError).code).toBe("MODEL_MISSING");
    expect((err as Error).message).toMatch(/nonexistent-models/);
  });
});

describe("face pool failures", () => {
  it("refuses an initial old space that is not a positive number of MB, before starting any worker", async () => {
    for (const bad of [0, -1, 1.5])
      await expect(FacePool.create({ workers: 1, initialOldSpaceMb: bad })).rejects.toThrow(RangeError);
  });

  it("rejects the call of a worker that dies, replaces the worker and runs the queued calls", async () => {
    const pool = await FacePool.create({ workers: 1, entry: exiting });
    const img: RgbImage = { data: new Uint8Array(12), width: 2, height: 2 };
    try {
      await expect(pool.analyzeFrame(img)).resolves.toEqual([]);
      const dies = pool.embed([{ aligned: img } as never]);
      const queued = pool.analyzeFrame(img);
      const err = await dies.catch((e) => e);
      expect(err).toBeInstanceOf(FacePoolError);
      expect(err.reason).toBe("worker-exited");
      expect(err.message).toMatch(/face worker 0 exited \(code 7\).* while running embed/);
      await expect(queued).resolves.toEqual([]);
      await expect(pool.analyzeFrame(img)).resolves.toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it("sends an embedding beside a frame call in progress instead of waiting for it", async () => {
    const pool = await FacePool.create({ workers: 1, entry: holding });
    const img: RgbImage = { data: new Uint8Array(12), width: 2, height: 2 };
    try {
      const order: string[] = [];
      const frame = pool.analyzeFrame(img).then(() => order.push("frame"));
      const queued = pool.analyzeFrame(img).then(() => order.push("queued frame"));
      const face = { aligned: img } as AnalyzedFace;
      const embed = pool.embed([face]).then(() => order.push("embed"));
      await Promise.all([frame, embed, queued]);
      // The second frame waited for the worker to be free; the embedding did not.
      expect(order).toEqual(["embed", "frame", "queued frame"]);
      expect(face.embedding).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it("closes cleanly: the call in progress finishes, waiting calls and later calls are rejected", async () => {
    const pool = await FacePool.create({ workers: 1, entry: exiting });
    const img: RgbImage = { data: new Uint8Array(12), width: 2, height: 2 };
    const running = pool.analyzeFrame(img);
    const waiting = pool.analyzeFrame(img).catch((e: Error) => e);
    const closed = pool.close();
    await expect(running).resolves.toEqual([]);
    expect(await waiting).toBeInstanceOf(FacePoolError);
    expect((await waiting).message).toMatch(/closed/);
    await closed;
    await expect(pool.analyzeFrame(img)).rejects.toBeInstanceOf(FacePoolError);
    await pool.close();
  });

  it("refuses a pool without workers", async () => {
    await expect(FacePool.create({ workers: 0 })).rejects.toThrow(/at least 1 worker/);
  });
});
