/**
 * The data directory holds every embedding, every crop (faces), webhook secrets and the first admin's
 * credentials: it and everything in it belong to the server's user alone (directories 0700, files
 * 0600), whatever the umask, like PostgreSQL's data directory.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";
import type { Logger } from "@argus/shared";

/** Files the server writes directly into the data directory (SQLite's own files included). */
const SECRET_FILES = ["argus.db", "argus.db-wal", "argus.db-shm", "admin-token", "admin-password"];

/**
 * Creates the directory 0700 (tightening an existing one), and the SQLite file 0600 before SQLite
 * opens it: SQLite gives its -wal and -shm files the database file's mode. The process umask becomes
 * 077 so that files made by libraries (the index snapshot) are private too.
 */
export function prepareDataDir(dir: string, opts: { sqlite: boolean; log: Logger }): void {
  if (isMainThread) process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, opts.log);
  for (const sub of ["crops", "index", "snapshots"]) {
    const d = join(dir, sub);
    if (existsSync(d)) tighten(d, 0o700, opts.log);
  }
  if (opts.sqlite) closeSync(openSync(join(dir, "argus.db"), "a", 0o600));
  for (const f of SECRET_FILES) {
    const p = join(dir, f);
    if (existsSync(p)) tighten(p, 0o600, opts.log);
  }
}

function tighten(path: string, mode: number, log: Logger): void {
  const was = statSync(path).mode & 0o777;
  if ((was & 0o077) === 0) return;
  try {
    chmodSync(path, mode);
    log.info({ path, was: was.toString(8), now: mode.toString(8) }, "data directory permissions tightened");
  } catch (e) {
    log.warn({ path, err: (e as Error).message }, "could not make this private (chmod); others may read it");
  }
}
