/**
 * Bulk enrolment in the browser: a chosen zip archive is unpacked here, with the server's own reader
 * and bounds (shared/src/enrol/archive.ts), and every photo is sent on its own to
 * POST /api/v1/enrol/file with the person's name from its path (shared/src/enrol/names.ts), so each
 * file shows its progress and its outcome as soon as the server has it.
 */
import type { BulkFileResult } from "@argus/shared/api/index";
import { ArchiveError, listArchive, readEntry } from "@argus/shared/enrol/archive";
import { type PlannedFile, planBulk } from "@argus/shared/enrol/names";
import { csvCell } from "@argus/shared/util/csv";
import { ApiError, api, qs } from "../api.ts";

export type { BulkFileResult };

/** The server's defaults (http.bulk.maxFiles, http.maxUploadBytes, http.bulk.maxUnpackedBytes); the server checks again. */
export const BROWSER_LIMITS = { maxEntries: 1000, maxEntryBytes: 10 * 1024 * 1024, maxTotalBytes: 2 * 1024 ** 3 };

export type BulkState =
  | { state: "waiting" }
  | { state: "sending" }
  /** The server's line for it, or one made here (refused before sending: not an image, no name, too large...). */
  | { state: "done"; result: BulkFileResult };

export interface BulkItem {
  path: string;
  plan: PlannedFile;
  /** The photo's bytes (unpacked on demand: one entry in memory at a time besides the archive). */
  load: () => Blob;
  outcome: BulkState;
}

const MIME: Record<string, string> = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };
const mimeOf = (path: string) =>
  MIME[path.slice(path.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream";

export const isZip = (f: File) =>
  /\.zip$/i.test(f.name) || f.type === "application/zip" || f.type === "application/x-zip-compressed";

export function refusedLine(file: string, name: string | null, code: string, message: string): BulkFileResult {
  return {
    file,
    status: "refused",
    name,
    person: null,
    created: false,
    faceId: null,
    quality: null,
    facesFound: null,
    error: { code, message },
    duplicates: [],
  };
}

/**
 * The items of the chosen files: each zip unpacked (its entries' paths as they are), other files by
 * their path in a chosen folder or their name. Throws ArchiveError for an archive refused whole.
 */
export async function itemsOf(files: File[]): Promise<BulkItem[]> {
  const sources: Array<{ path: string; load: () => Blob }> = [];
  for (const f of files) {
    if (isZip(f)) {
      const zip = new Uint8Array(await f.arrayBuffer());
      let entries: ReturnType<typeof listArchive>;
      try {
        entries = listArchive(zip, BROWSER_LIMITS);
      } catch (e) {
        if (e instanceof ArchiveError) throw new ArchiveError(e.code, `${f.name}: ${e.message}`, e.details);
        throw e;
      }
      for (const entry of entries)
        sources.push({
          path: entry.path,
          load: () =>
            new Blob([readEntry(zip, entry, BROWSER_LIMITS) as Uint8Array<ArrayBuffer>], { type: mimeOf(entry.path) }),
        });
    } else {
      // From a chosen folder: its path below that folder (the chosen folder is never a person's name).
      const path = f.webkitRelativePath ? f.webkitRelativePath.split("/").slice(1).join("/") : f.name;
      sources.push({ path, load: () => f });
    }
  }
  const plan = planBulk(sources.map((s) => s.path));
  return sources.map((s, i) => {
    const p = plan[i];
    const outcome: BulkState =
      p.kind === "refused"
        ? { state: "done", result: refusedLine(p.path, null, p.code, p.message) }
        : { state: "waiting" };
    return { path: s.path, plan: p, load: s.load, outcome };
  });
}

/** A stop for the whole run: the server is gone or the session ended (the rest can be sent later). */
export class BulkStopped extends Error {}

/** Sends one photo; a 503 (the server's photo queue is full) waits and tries again. */
export async function sendOne(
  item: BulkItem,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<BulkFileResult> {
  if (item.plan.kind !== "photo") throw new Error("not a photo");
  const name = item.plan.person;
  let blob: Blob;
  try {
    blob = item.load();
  } catch (e) {
    if (e instanceof ArchiveError) return refusedLine(item.path, name, e.code, e.message);
    throw e;
  }
  for (let attempt = 0; ; attempt++) {
    const form = new FormData();
    form.append("image", blob, item.path.split("/").pop() ?? "photo");
    try {
      return await api<BulkFileResult>("POST", `/api/v1/enrol/file${qs({ name, file: item.path })}`, form);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 503 && attempt < 60) {
        const s = Number(e.details?.retryAfterSeconds ?? 1);
        await sleep(Math.min(10, Math.max(1, s)) * 1000);
        continue;
      }
      if (e.status === 0 || e.status === 401 || e.status === 403) throw new BulkStopped(e.message);
      const message = e.code === "PAYLOAD_TOO_LARGE" ? "the photo is larger than the server accepts" : e.message;
      return refusedLine(item.path, name, e.code, message);
    }
  }
}

export interface BulkCounts {
  photos: number;
  enrolled: number;
  duplicates: number;
  refused: number;
  ignored: number;
  created: number;
  done: number;
}

export function countsOf(items: BulkItem[]): BulkCounts {
  const results = items.flatMap((i) => (i.outcome.state === "done" ? [i.outcome.result] : []));
  const enrolled = results.filter((r) => r.status === "enrolled");
  return {
    photos: items.filter((i) => i.plan.kind === "photo").length,
    enrolled: enrolled.length,
    duplicates: enrolled.filter((r) => r.duplicates.length > 0).length,
    refused: results.filter((r) => r.status === "refused").length,
    ignored: items.filter((i) => i.plan.kind === "ignored").length,
    created: enrolled.filter((r) => r.created).length,
    done: items.filter((i) => i.plan.kind === "photo" && i.outcome.state === "done").length,
  };
}

/** The report as CSV: one row per file (left-out files included), the duplicates as "name (id) similarity". */
export function reportCsv(items: BulkItem[]): string {
  const head = [
    "file",
    "status",
    "person_name",
    "person_id",
    "new_person",
    "quality",
    "code",
    "reason",
    "possible_duplicates",
  ];
  const rows = items.map((i) => {
    const r = i.outcome.state === "done" ? i.outcome.result : null;
    const status = i.plan.kind === "ignored" ? "ignored" : r ? r.status : i.outcome.state;
    const name = r?.person?.name ?? (i.plan.kind === "photo" ? i.plan.person : "");
    const dups = (r?.duplicates ?? []).map((d) => `${d.person.name} (${d.person.id}) ${d.similarity.toFixed(3)}`);
    return [
      i.path,
      status,
      name,
      r?.person?.id ?? "",
      r ? String(r.created) : "",
      r?.quality?.toFixed(3) ?? "",
      r?.error?.code ?? "",
      r?.error?.message ?? "",
      dups.join("; "),
    ];
  });
  return [head, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
