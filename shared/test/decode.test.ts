import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ArgusError } from "../src/errors.ts";
import { decodeImage } from "../src/image/decode.ts";

async function expectCode(p: Promise<unknown>, code: string) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ArgusError);
  expect((e as ArgusError).code).toBe(code);
  return e as ArgusError;
}

describe("decodeImage", () => {
  it("decodes JPEG, PNG and WebP to RGB", async () => {
    const raw = Buffer.alloc(8 * 6 * 3, 200);
    for (const fmt of ["jpeg", "png", "webp"] as const) {
      const buf = await sharp(raw, { raw: { width: 8, height: 6, channels: 3 } })
        .toFormat(fmt)
        .toBuffer();
      const img = await decodeImage(buf);
      expect([img.width, img.height, img.data.length]).toEqual([8, 6, 8 * 6 * 3]);
    }
  });

  it("turns grey and RGBA images into 3-channel RGB", async () => {
    const grey = await sharp(Buffer.alloc(4 * 4, 90), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toBuffer();
    const rgba = await sharp(Buffer.alloc(4 * 4 * 4, 90), { raw: { width: 4, height: 4, channels: 4 } })
      .png()
      .toBuffer();
    for (const b of [grey, rgba]) expect((await decodeImage(b)).data.length).toBe(4 * 4 * 3);
  });

  it("applies the EXIF orientation", async () => {
    // A 20x10 image tagged "rotate 90° clockwise" (orientation 6) must come out 10x20.
    const buf = await sharp(Buffer.alloc(20 * 10 * 3, 128), { raw: { width: 20, height: 10, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(buf);
    expect([img.width, img.height]).toEqual([10, 20]);
  });

  it("rejects empty, oversized, unsupported, truncated and bomb inputs with typed errors", async () => {
    await expectCode(decodeImage(new Uint8Array(0)), "IMAGE_EMPTY");
    await expectCode(decodeImage(Buffer.alloc(2000, 1), { maxBytes: 1000 }), "IMAGE_TOO_LARGE");
    await expectCode(decodeImage(Buffer.from("this is not an image at all")), "IMAGE_UNSUPPORTED");
    const gif = await sharp(Buffer.alloc(4 * 4 * 3), { raw: { width: 4, height: 4, channels: 3 } })
      .gif()
      .toBuffer();
    const e = await expectCode(decodeImage(gif), "IMAGE_UNSUPPORTED");
    expect(e.message).toMatch(/gif/);
    const jpeg = await sharp(Buffer.alloc(64 * 64 * 3, 77), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    await expectCode(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), "IMAGE_CORRUPT");
    // A small file that claims 15000x15000 pixels: refused from the header, before decoding.
    const bomb = await sharp({ create: { width: 15000, height: 15000, channels: 3, background: "#000" } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(2_000_000);
    const b = await expectCode(decodeImage(bomb), "IMAGE_TOO_MANY_PIXELS");
    expect(b.message).toMatch(/15000x15000/);
  });

  it("never throws an untyped error on random bytes", async () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 256;
    for (let i = 0; i < 20; i++) {
      // A JPEG signature followed by noise.
      const buf = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(Array.from({ length: 500 }, rnd))]);
      await decodeImage(buf).then(
        () => undefined,
        (e: unknown) => expect(e).toBeInstanceOf(ArgusError),
      );
    }
  });
});
