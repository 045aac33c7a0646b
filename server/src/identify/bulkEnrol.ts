/**
 * Bulk enrolment: photos named after their person (shared/src/enrol/names.ts), from a zip archive or
 * one file at a time. Each photo goes through PersonService's one enrolment (quality floor, dominant
 * face, warnings about other persons it matches), into the person with that exact name:
 *
 * - nobody has the name: a person is created (enrolled, on no list), only once the photo has passed
 *   (a refused photo leaves no empty person behind);
 * - one person has it (enrolled or automatic): the photo joins them;
 * - several have it: the photo is refused AMBIGUOUS_NAME with their ids (rename one, or enrol on the
 *   person's page): guessing would put a face on the wrong person.
 *
 * Files of one name are enrolled one after the other (no two persons created for one name by two
 * requests at once); an archive's photos go one at a time through the photo gate
 * (http.maxConcurrentDecodes), waiting for a slot when it is full rather than failing, so a bulk
 * enrolment takes at most one of the slots interactive uploads use. Every enrolment and every person
 * created is in the audit log (`face.enrol`, `person.create`), like the single enrolment's route.
 */

import { ArgusError } from "@argus/shared";
import { type ArchiveEntry, ArchiveError, listArchive, readEntry } from "@argus/shared/enrol/archive";
import { type PlannedFile, planBulk } from "@argus/shared/enrol/names";
import { type AuditLog, faceState, personState } from "../audit/audit.ts";
import type { Config } from "../config/config.ts";
import { DomainError } from "../domain/errors.ts";
import type { Actor, Person } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import type { Grade } from "./calibrated.ts";
import type { PersonCache } from "./personCache.ts";
import type { PersonService } from "./persons.ts";

export interface PersonRef {
  id: string;
  name: string;
  kind: Person["kind"];
  list: Person["list"];
}

/** One line of the report (the shared contract's BulkFileResult). */
export interface BulkFileResult {
  file: string;
  status: "enrolled" | "refused" | "ignored" | "planned";
  name: string | null;
  person: PersonRef | null;
  created: boolean;
  faceId: number | null;
  quality: number | null;
  facesFound: number | null;
  error: { code: string; message: string } | null;
  duplicates: Array<{ person: PersonRef; similarity: number; grade: Grade | null }>;
}

export interface BulkReport {
  files: BulkFileResult[];
  summary: {
    files: number;
    enrolled: number;
    possibleDuplicates: number;
    refused: number;
    ignored: number;
    personsCreated: number;
  };
}

/** An archive's photo waits at most this long in all for a free photo slot before it is refused BUSY. */
const BUSY_WAIT_MS = 120_000;

const ref = (p: Person): PersonRef => ({ id: p.id, name: p.name, kind: p.kind, list: p.list });

/** One file's line of a bulk report: refused with nothing enrolled unless `rest` says otherwise. */
export const line = (file: string, name: string | null, rest: Partial<BulkFileResult>): BulkFileResult => ({
  file,
  status: "refused",
  name,
  person: null,
  created: false,
  faceId: null,
  quality: null,
  facesFound: null,
  error: null,
  duplicates: [],
  ...rest,
});

const refusal = (file: string, name: string | null, code: string, message: string) =>
  line(file, name, { status: "refused", error: { code, message } });

/** The outcome of a photo the enrolment refused; anything else (the database down...) is rethrown. */
function refusedBy(e: unknown): { code: string; message: string } | undefined {
  // The single enrolment's words without its field name and its ?force hint (bulk never forces).
  if (e instanceof ArgusError)
    return { code: e.code, message: e.message.replace(/^image: /, "").replace(/,? or add \?force=true$/, "") };
  if (e instanceof ArchiveError) return { code: e.code, message: e.message };
  return undefined;
}

export class BulkEnrolment {
  /** Per name, the tail of the chain of its enrolments. */
  private readonly names = new Map<string, Promise<unknown>>();

  constructor(
    private readonly d: {
      personService: PersonService;
      store: Store;
      persons: PersonCache;
      audit: AuditLog;
      config: Config;
    },
  ) {}

  /** Persons whose name is exactly `name` (the store's name filter is a case-insensitive substring). */
  async personsNamed(name: string): Promise<Person[]> {
    const out: Person[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const page = await this.d.store.persons.list({ q: name }, cursor, 500);
      out.push(...page.items.filter((p) => p.name === name));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return out;
  }

  /** Runs `f` after every earlier call for the same name has finished. */
  private byName<T>(name: string, f: () => Promise<T>): Promise<T> {
    const prev = this.names.get(name) ?? Promise.resolve();
    const run = prev.then(f, f);
    const tail = run.catch(() => {});
    this.names.set(name, tail);
    void tail.then(() => {
      if (this.names.get(name) === tail) this.names.delete(name);
    });
    return run;
  }

  /**
   * One photo into the person named `name`: a refusal is a line of the report, not an error; BUSY
   * (the photo queue is full) and failures of the store are thrown.
   */
  async enrolFile(actor: Actor, file: string, name: string, image: Buffer): Promise<BulkFileResult> {
    let prepared: Awaited<ReturnType<PersonService["prepareEnrol"]>>;
    try {
      prepared = await this.d.personService.prepareEnrol(image);
    } catch (e) {
      const r = refusedBy(e);
      if (!r) throw e;
      return refusal(file, name, r.code, r.message);
    }
    return this.byName(name, async () => {
      const named = await this.personsNamed(name);
      if (named.length > 1)
        return refusal(
          file,
          name,
          "AMBIGUOUS_NAME",
          `${named.length} persons are named '${name}' (${named.map((p) => p.id).join(", ")}); rename all but one, or enrol the photo on the person's page`,
        );
      let person = named[0];
      const created = !person;
      if (!person) {
        person = await this.d.personService.create({ name });
        await this.d.audit.record({
          actor,
          action: "person.create",
          targetType: "person",
          targetId: person.id,
          before: null,
          after: { ...personState(person), bulk: true },
        });
      }
      const before = person;
      const e = await this.d.personService.commitEnrol(person.id, prepared);
      await this.d.audit.record({
        actor,
        action: "face.enrol",
        targetType: "person",
        targetId: person.id,
        before: personState(before),
        after: { ...personState(e.person), face: faceState(e.face), bulk: { file } },
      });
      const duplicates: BulkFileResult["duplicates"] = [];
      for (const w of e.warnings) {
        const other = await this.d.persons.get(w.personId);
        if (other) duplicates.push({ person: ref(other), similarity: w.similarity, grade: w.grade });
      }
      return line(file, name, {
        status: "enrolled",
        person: ref(e.person),
        created,
        faceId: e.face.id,
        quality: e.quality,
        facesFound: e.facesFound,
        duplicates,
      });
    });
  }

  /**
   * Every entry of a zip archive, one photo at a time. Throws ArchiveError for the whole archive
   * (not a zip, too many entries, too many bytes unpacked); each entry's own problem is its line.
   */
  async enrolArchive(
    actor: Actor,
    zip: Buffer,
    opts: {
      dryRun?: boolean /** True once the client is gone: the entries left are not enrolled. */;
      gone?: () => boolean;
    } = {},
  ): Promise<BulkReport> {
    const { http } = this.d.config;
    const limits = {
      maxEntries: http.bulk.maxFiles,
      maxEntryBytes: http.maxUploadBytes,
      maxTotalBytes: http.bulk.maxUnpackedBytes,
    };
    const entries = listArchive(zip, limits);
    const plan = planBulk(entries.map((e) => e.path));
    const files: BulkFileResult[] = [];
    for (let i = 0; i < entries.length && !opts.gone?.(); i++)
      files.push(await this.entry(actor, zip, entries[i], plan[i], limits, opts.dryRun ?? false));
    return report(files);
  }

  private async entry(
    actor: Actor,
    zip: Buffer,
    entry: ArchiveEntry,
    plan: PlannedFile,
    limits: { maxEntryBytes: number },
    dryRun: boolean,
  ): Promise<BulkFileResult> {
    if (plan.kind === "ignored") return line(entry.path, null, { status: "ignored" });
    if (plan.kind === "refused") return refusal(entry.path, null, plan.code, plan.message);
    if (dryRun) {
      const named = await this.personsNamed(plan.person);
      return line(entry.path, plan.person, {
        status: named.length > 1 ? "refused" : "planned",
        person: named.length === 1 ? ref(named[0]) : null,
        created: named.length === 0,
        error:
          named.length > 1
            ? { code: "AMBIGUOUS_NAME", message: `${named.length} persons are named '${plan.person}'` }
            : null,
      });
    }
    let bytes: Uint8Array;
    try {
      bytes = readEntry(zip, entry, limits);
    } catch (e) {
      const r = refusedBy(e);
      if (!r) throw e;
      return refusal(entry.path, plan.person, r.code, r.message);
    }
    const image = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Waits for a photo slot when the gate is full (interactive uploads get 503; this one is patient).
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      try {
        return await this.enrolFile(actor, entry.path, plan.person, image);
      } catch (e) {
        if (!(e instanceof DomainError && e.kind === "busy")) throw e;
        if (Date.now() > deadline) return refusal(entry.path, plan.person, "BUSY", e.message);
        // Retry-After is for a client's whole request; a slot frees up every few hundred milliseconds.
        const hint = Number(e.details?.retryAfterSeconds ?? 1) * 250;
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, hint))));
      }
    }
  }
}

/** The report's counts. */
export function report(files: BulkFileResult[]): BulkReport {
  const enrolled = files.filter((f) => f.status === "enrolled");
  return {
    files,
    summary: {
      files: files.length,
      enrolled: enrolled.length,
      possibleDuplicates: enrolled.filter((f) => f.duplicates.length > 0).length,
      refused: files.filter((f) => f.status === "refused").length,
      ignored: files.filter((f) => f.status === "ignored").length,
      personsCreated: files.filter((f) => f.created && f.status === "enrolled").length,
    },
  };
}
