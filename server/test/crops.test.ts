/** The crop store's writer thread: files land whole and private, a failed write is an error, close waits. */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CropStore } from "../src/store/crops.ts";
import { tempDir } from "./helpers.ts";

const S1 = "00000000-0000-4000-8000-000000000001";
const S2 = "00000000-0000-4000-8000-000000000002";

describe("crop store", () => {
  it("writes a batch on its thread: owner-only files in owner-only folders, a later shot replaces the file", async () => {
    const crops = new CropStore(join(tempDir(), "crops"));
    const a = Buffer.from([0xff, 0xd8, 1, 2, 3]);
    const b = Buffer.from([0xff, 0xd8, 4, 5]);
    await crops.putMany([
      { kind: "sightings", id: S1, jpeg: a },
      { kind: "context", id: S1, jpeg: b },
      { kind: "faces", id: 7, jpeg: b },
    ]);
    expect(await crops.get("sightings", S1)).toEqual(a);
    expect(await crops.get("context", S1)).toEqual(b);
    expect(await crops.get("faces", 7)).toEqual(b);
    const file = crops.path("sightings", S1)!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
    await crops.put("sightings", S1, b);
    expect(readFileSync(file)).toEqual(b);
    await crops.close();
  });

  it("rejects when a file cannot be written, and keeps working for the next batch", async () => {
    const root = tempDir();
    // The crops folder is a regular file: nothing can be created below it.
    writeFileSync(join(root, "crops"), "not a folder");
    const broken = new CropStore(join(root, "crops"));
    await expect(broken.putMany([{ kind: "sightings", id: S1, jpeg: Buffer.from([1]) }])).rejects.toThrow(
      /crop not written/,
    );
    await broken.close();
    const crops = new CropStore(join(root, "fine"));
    await expect(
      crops.putMany([{ kind: "sightings", id: "../../etc/passwd", jpeg: Buffer.from([1]) }]),
    ).rejects.toThrow(/not a sightings id/);
    await crops.putMany([{ kind: "sightings", id: S2, jpeg: Buffer.from([9]) }]);
    expect(await crops.get("sightings", S2)).toEqual(Buffer.from([9]));
    await crops.close();
  });

  it("close waits for the writes in flight", async () => {
    const crops = new CropStore(join(tempDir(), "crops"));
    const ids = Array.from({ length: 200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const writing = crops.putMany(ids.map((id) => ({ kind: "sightings" as const, id, jpeg: Buffer.alloc(4096, 1) })));
    await crops.close();
    await writing;
    for (const id of ids) expect(statSync(crops.path("sightings", id)!).size).toBe(4096);
  });
});
