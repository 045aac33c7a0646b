import { Inflate, strToU8, zipSync } from "fflate";
import { describe, expect, it, vi } from "vitest";
import { ArchiveError, listArchive, readEntry } from "../src/enrol/archive.ts";

const LIMITS = { maxEntries: 10, maxEntryBytes: 1_000_000, maxTotalBytes: 3_000_000 };

const errorOf = (f: () => unknown): ArchiveError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ArchiveError) return e;
    throw e;
  }
  throw new Error("no error");
};

/** Sets an entry's declared (inflated) size in both its central and local headers: a lying archive. */
function lieAboutSize(zip: Uint8Array, size: number): Uint8Array {
  const z = zip.slice();
  const v = new DataView(z.buffer);
  for (let i = 0; i + 4 <= z.length; i++) {
    const sig = v.getUint32(i, true);
    if (sig === 0x02014b50) v.setUint32(i + 24, size, true);
    if (sig === 0x04034b50) v.setUint32(i + 22, size, true);
  }
  return z;
}

describe("zip archive bounds", () => {
  it("lists and reads stored and deflated entries", () => {
    const photo = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    const zip = zipSync({
      Alice: {},
      "Alice/1.jpg": [photo, { level: 0 }],
      "Bob_1.jpg": [photo, { level: 9 }],
      "notes.txt": strToU8("hello"),
      "José_1.jpg": strToU8("not really a photo"),
    });
    const entries = listArchive(zip, LIMITS);
    expect(entries.map((e) => e.path)).toEqual(["Alice/", "Alice/1.jpg", "Bob_1.jpg", "notes.txt", "José_1.jpg"]);
    expect(entries.map((e) => e.method).slice(1)).toEqual([0, 8, 8, 8]);
    expect(readEntry(zip, entries[1], LIMITS)).toEqual(photo);
    expect(readEntry(zip, entries[2], LIMITS)).toEqual(photo);
    expect(new TextDecoder().decode(readEntry(zip, entries[3], LIMITS))).toBe("hello");
    expect(readEntry(zip, entries[0], LIMITS)).toHaveLength(0);
  });

  it("refuses what is not a zip", () => {
    expect(errorOf(() => listArchive(strToU8("just some text, long enough to look"), LIMITS)).code).toBe(
      "ARCHIVE_INVALID",
    );
    const zip = zipSync({ "a.jpg": strToU8("x") });
    expect(errorOf(() => listArchive(zip.subarray(0, zip.length - 30), LIMITS)).code).toBe("ARCHIVE_INVALID");
  });

  it("refuses too many entries and too many bytes in all before inflating anything", () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}.jpg`, strToU8("x")])));
    const e = errorOf(() => listArchive(many, LIMITS));
    expect(e.code).toBe("ARCHIVE_TOO_MANY_FILES");
    expect(e.message).toMatch(/11 entries; at most 10/);
    // Four entries of 900 kB of zeros: 3.6 MB unpacked, a few kB packed.
    const zeros = new Uint8Array(900_000);
    const big = zipSync(Object.fromEntries([1, 2, 3, 4].map((i) => [`Z_${i}.jpg`, zeros])));
    expect(big.length).toBeLessThan(20_000);
    const t = errorOf(() => listArchive(big, LIMITS));
    expect(t.code).toBe("ARCHIVE_TOO_LARGE");
    expect(t.message).toMatch(/more than 3000000 bytes once unpacked/);
  });

  it("refuses a zip bomb's entry: declared too large, or inflating beyond what it declares", () => {
    // 20 MB of zeros packs into ~20 kB: refused from its declared size, without inflating it.
    const bomb = zipSync({ "Bomb_1.jpg": new Uint8Array(20_000_000) }, { level: 1 });
    expect(bomb.length).toBeLessThan(200_000);
    const [entry] = listArchive(bomb, { ...LIMITS, maxTotalBytes: 100_000_000 });
    const e = errorOf(() => readEntry(bomb, entry, LIMITS));
    expect(e.code).toBe("ENTRY_TOO_LARGE");
    expect(e.message).toMatch(/20000000 bytes once unpacked; at most 1000000/);
    // The same archive claiming 1,000 bytes: inflation stops after the first 16 kB slice of the ~20 kB
    // stream (pushes counted on fflate's inflater), not after 20 MB of output.
    const liar = lieAboutSize(bomb, 1000);
    const [small] = listArchive(liar, LIMITS);
    expect(small.size).toBe(1000);
    expect(small.compressedSize).toBeGreaterThan(16 * 1024);
    const push = vi.spyOn(Inflate.prototype, "push");
    try {
      const c = errorOf(() => readEntry(liar, small, LIMITS));
      expect(c.code).toBe("ENTRY_CORRUPT");
      expect(c.message).toMatch(/beyond its declared size/);
      expect(push).toHaveBeenCalledTimes(1);
    } finally {
      push.mockRestore();
    }
    // Claiming more than it holds is damaged too.
    const short = lieAboutSize(zipSync({ "a.jpg": strToU8("abc") }), 10);
    expect(errorOf(() => readEntry(short, listArchive(short, LIMITS)[0], LIMITS)).code).toBe("ENTRY_CORRUPT");
  });
});
