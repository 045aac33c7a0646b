/**
 * `pnpm --silent run server enrol-folder <dir> [--url <server>] [--token <t> | --data <dir>]`: bulk
 * enrolment of a folder through a running server's API, one file at a time (POST /api/v1/enrol/file),
 * so the operator sees each file as it is done. Which person a file is a photo of comes from its path
 * relative to <dir> (shared/src/enrol/names.ts); the server finds or creates the person and enrols.
 * Exit code: 0 when every photo was enrolled, 1 when any file was refused, 2 on a usage or connection
 * error (nothing or not everything was tried).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { BulkFileResult } from "@argus/shared/api/index";
import { planBulk } from "@argus/shared/enrol/names";
import { line, report } from "./identify/bulkEnrol.ts";

export interface EnrolFolderOptions {
  dir: string;
  url: string;
  token: string;
  dryRun?: boolean;
  json?: boolean;
  out?: (line: string) => void;
  /** How long one file waits in all for the server's photo queue (503 BUSY) before it counts as refused. */
  busyWaitMs?: number;
}

export class UsageError extends Error {}

/** Files under `dir`, relative with "/" separators, sorted; symbolic links are followed, hidden folders kept (the plan ignores them). */
function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) visit(p);
      else if (st.isFile()) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  visit(dir);
  return out;
}

const MIME: Record<string, string> = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/** One line for people. */
export function describe(r: BulkFileResult): string {
  if (r.status === "refused") return `refused    ${r.file}: ${r.error?.code} ${r.error?.message}`;
  if (r.status === "planned") return `planned    ${r.file} -> ${r.name}`;
  const who = `${r.person?.name}${r.created ? " (new person)" : ""}`;
  const q = r.quality === null ? "" : `, quality ${r.quality.toFixed(2)}`;
  if (!r.duplicates.length) return `enrolled   ${r.file} -> ${who}${q}`;
  const dups = r.duplicates
    .map(
      (d) => `${d.person.name} (${d.person.id}, similarity ${d.similarity.toFixed(2)}${d.grade ? `, ${d.grade}` : ""})`,
    )
    .join("; ");
  return `duplicate? ${r.file} -> ${who}${q}; the photo also matches ${dups}`;
}

export async function enrolFolder(o: EnrolFolderOptions): Promise<{ exitCode: number; results: BulkFileResult[] }> {
  const print = o.out ?? ((l: string) => console.log(l));
  const st = statSync(o.dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new UsageError(`${o.dir}: not a folder`);
  const paths = walk(o.dir);
  const base = o.url.replace(/\/+$/, "");
  const results: BulkFileResult[] = [];
  for (const plan of planBulk(paths)) {
    let r: BulkFileResult;
    if (plan.kind === "ignored") continue;
    if (plan.kind === "refused") r = line(plan.path, null, { error: { code: plan.code, message: plan.message } });
    else if (o.dryRun) r = line(plan.path, plan.person, { status: "planned" });
    else r = await send(plan.path, plan.person);
    results.push(r);
    print(o.json ? JSON.stringify(r) : describe(r));
  }
  const { summary } = report(results);
  const ignored = paths.length - results.length;
  if (o.json) print(JSON.stringify({ summary: { ...summary, files: paths.length, ignored } }));
  else
    print(
      `${paths.length} files: ${summary.enrolled} enrolled (${summary.possibleDuplicates} possible duplicates), ` +
        `${summary.refused} refused, ${ignored} ignored; ${summary.personsCreated} persons created` +
        (o.dryRun ? ` (dry run: ${results.filter((x) => x.status === "planned").length} photos to enrol)` : ""),
    );
  return { exitCode: summary.refused > 0 ? 1 : 0, results };

  async function send(file: string, name: string): Promise<BulkFileResult> {
    const body = readFileSync(join(o.dir, file));
    const ext = file.slice(file.lastIndexOf(".") + 1).toLowerCase();
    const url = `${base}/api/v1/enrol/file?name=${encodeURIComponent(name)}&file=${encodeURIComponent(file)}`;
    const deadline = Date.now() + (o.busyWaitMs ?? 120_000);
    for (;;) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${o.token}`, "content-type": MIME[ext] ?? "application/octet-stream" },
          body,
        });
      } catch (e) {
        throw new UsageError(`cannot reach ${base}: ${(e as Error).cause ?? (e as Error).message}`);
      }
      const text = await res.text();
      let json: { error?: { code: string; message: string } } & Partial<BulkFileResult>;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UsageError(`${base} answered ${res.status} without JSON: is it an Argus server?`);
      }
      if (res.status === 200) return json as BulkFileResult;
      if (res.status === 401 || res.status === 403)
        throw new UsageError(
          `${res.status} ${json.error?.code}: ${json.error?.message} (an operator's token is needed)`,
        );
      if (res.status === 503 && Date.now() < deadline) {
        const wait = Number(res.headers.get("retry-after") ?? 1);
        await new Promise((r) => setTimeout(r, Math.min(10, Math.max(1, wait)) * 1000));
        continue;
      }
      // 413 (too large), 415, 503 after waiting...: this file is refused, the others go on.
      return line(file, name, {
        error: json.error ?? { code: `HTTP_${res.status}`, message: text.slice(0, 200) },
      });
    }
  }
}
