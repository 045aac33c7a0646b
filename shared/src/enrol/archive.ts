/**
 * Reading a zip archive of enrolment photos within bounds (zip bombs). Pure: a Uint8Array in, works
 * in Node and in the browser (the console unzips a chosen archive itself for per-file progress).
 *
 * The entries come from the central directory (what every zip tool writes last; local headers can
 * lie about sizes or be zero with data descriptors), and each entry is inflated with fflate's streaming
 * `Inflate` in small slices, counting what comes out: an entry stops as soon as it passes the smaller
 * of its declared size and the per-entry bound. fflate's own `unzipSync` is not used for that: it
 * inflates an entry's whole stream whatever its declared size, so a 10 MB entry that inflates a
 * thousandfold costs seconds of CPU however small it claims to be.
 *
 * Bounds (`ArchiveLimits`): the archive's bytes (checked by the caller before reading it), the number
 * of entries, the bytes of one entry once inflated (an image upload's limit), and the sum of the
 * declared sizes of the entries. Beyond the count or the sum the whole archive is refused
 * (ARCHIVE_TOO_MANY_FILES, ARCHIVE_TOO_LARGE); an entry beyond its own bound is refused alone
 * (ENTRY_TOO_LARGE), as is one that inflates beyond its declared size (ENTRY_CORRUPT).
 */
import { Inflate } from "fflate";

export interface ArchiveLimits {
  /** Entries (files and folders) in the archive. */
  maxEntries: number;
  /** Bytes of one entry once inflated. */
  maxEntryBytes: number;
  /** Sum of the entries' inflated sizes as declared (each entry is held to its declared size). */
  maxTotalBytes: number;
}

export interface ArchiveEntry {
  /** The path in the archive ("Name/photo.jpg"; folders end with "/"). */
  path: string;
  /** Inflated size as declared by the central directory. */
  size: number;
  compressedSize: number;
  /** 0 stored, 8 deflate. */
  method: number;
  encrypted: boolean;
  /** Offset of the local header. */
  offset: number;
}

/** A refused archive or entry: `code` for programs, `message` for people. */
export class ArchiveError extends Error {
  constructor(
    readonly code:
      | "ARCHIVE_INVALID"
      | "ARCHIVE_TOO_MANY_FILES"
      | "ARCHIVE_TOO_LARGE"
      | "ENTRY_TOO_LARGE"
      | "ENTRY_CORRUPT"
      | "ENTRY_UNSUPPORTED",
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ArchiveError";
  }
}

const invalid = (why: string) => new ArchiveError("ARCHIVE_INVALID", `not a readable zip archive: ${why}`);

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 0x100000000;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
/** UTF-8 when flagged or valid (macOS and 7-Zip write it unflagged too), else Latin-1 (close to CP437's letters). */
function decodeName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** The archive's entries from its central directory, after the count and total bounds. */
export function listArchive(zip: Uint8Array, limits: ArchiveLimits): ArchiveEntry[] {
  if (zip.length < 22) throw invalid("too short");
  // The end-of-central-directory record: within the last 22 + 65,535 (comment) bytes.
  let e = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x05 && zip[i + 3] === 0x06) {
      e = i;
      break;
    }
  }
  if (e < 0) throw invalid("no end of central directory (is it a zip file?)");
  let count = u16(zip, e + 10);
  let cdOffset = u32(zip, e + 16);
  // ZIP64: the locator just before points to the ZIP64 end record.
  if (e >= 20 && u32(zip, e - 20) === 0x07064b50) {
    const z = u64(zip, e - 12);
    if (z + 56 > zip.length || u32(zip, z) !== 0x06064b50) throw invalid("bad ZIP64 end record");
    count = u64(zip, z + 32);
    cdOffset = u64(zip, z + 48);
  }
  if (count > limits.maxEntries)
    throw new ArchiveError(
      "ARCHIVE_TOO_MANY_FILES",
      `the archive holds ${count} entries; at most ${limits.maxEntries} are accepted`,
      { entries: count, maxEntries: limits.maxEntries },
    );
  const entries: ArchiveEntry[] = [];
  let o = cdOffset;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (o + 46 > zip.length || u32(zip, o) !== 0x02014b50) throw invalid(`central directory entry ${n + 1} is damaged`);
    const flags = u16(zip, o + 8);
    const method = u16(zip, o + 10);
    let compressedSize = u32(zip, o + 20);
    let size = u32(zip, o + 24);
    const nameLen = u16(zip, o + 28);
    const extraLen = u16(zip, o + 30);
    const commentLen = u16(zip, o + 32);
    let offset = u32(zip, o + 42);
    if (o + 46 + nameLen + extraLen > zip.length) throw invalid(`central directory entry ${n + 1} is cut off`);
    const path = decodeName(zip.subarray(o + 46, o + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
    for (let x = o + 46 + nameLen; x + 4 <= o + 46 + nameLen + extraLen; ) {
      const id = u16(zip, x);
      const len = u16(zip, x + 2);
      if (id === 0x0001) {
        let p = x + 4;
        if (size === 0xffffffff) {
          size = u64(zip, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(zip, p);
          p += 8;
        }
        if (offset === 0xffffffff) offset = u64(zip, p);
      }
      x += 4 + len;
    }
    total += size;
    if (total > limits.maxTotalBytes)
      throw new ArchiveError(
        "ARCHIVE_TOO_LARGE",
        `the archive's files add up to more than ${limits.maxTotalBytes} bytes once unpacked`,
        { maxTotalBytes: limits.maxTotalBytes },
      );
    entries.push({ path, size, compressedSize, method, encrypted: (flags & 1) === 1, offset });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Compressed bytes handed to the inflater at once: at most ~1,032x that comes out of one push. */
const SLICE = 16 * 1024;

/** One entry's bytes, inflated and held to min(declared size, limits.maxEntryBytes). */
export function readEntry(
  zip: Uint8Array,
  entry: ArchiveEntry,
  limits: Pick<ArchiveLimits, "maxEntryBytes">,
): Uint8Array {
  const tooLarge = (size: number) =>
    new ArchiveError(
      "ENTRY_TOO_LARGE",
      `${entry.path}: ${size} bytes once unpacked; at most ${limits.maxEntryBytes} are accepted`,
      { size, maxEntryBytes: limits.maxEntryBytes },
    );
  if (entry.size > limits.maxEntryBytes) throw tooLarge(entry.size);
  if (entry.encrypted)
    throw new ArchiveError(
      "ENTRY_UNSUPPORTED",
      `${entry.path}: encrypted; unpack it or make the archive without a password`,
    );
  if (entry.method !== 0 && entry.method !== 8)
    throw new ArchiveError(
      "ENTRY_UNSUPPORTED",
      `${entry.path}: compression method ${entry.method} is not supported (only stored and deflate)`,
      { method: entry.method },
    );
  const h = entry.offset;
  if (h + 30 > zip.length || u32(zip, h) !== 0x04034b50) throw invalid(`${entry.path}: local header missing`);
  const start = h + 30 + u16(zip, h + 26) + u16(zip, h + 28);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw invalid(`${entry.path}: data cut off`);
  const data = zip.subarray(start, end);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw corrupt(entry, "stored size differs from its declared size");
    return data.slice();
  }
  const out = new Uint8Array(entry.size);
  let n = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (n + chunk.length > entry.size) throw corrupt(entry, "inflates beyond its declared size (a zip bomb?)");
    out.set(chunk, n);
    n += chunk.length;
    if (final) finished = true;
  });
  try {
    for (let i = 0; i < data.length; i += SLICE) inflater.push(data.subarray(i, i + SLICE), i + SLICE >= data.length);
    if (data.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw corrupt(entry, (e as Error).message);
  }
  if (!finished || n !== entry.size) throw corrupt(entry, `inflated to ${n} bytes, ${entry.size} declared`);
  return out;
}

const corrupt = (entry: ArchiveEntry, why: string) =>
  new ArchiveError("ENTRY_CORRUPT", `${entry.path}: damaged: ${why}`, { size: entry.size });
