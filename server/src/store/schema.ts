/** What both stores' numbered migrations share: the refusal of a newer schema and the step record. */
import { ArgusError } from "@argus/shared";
import type { SchemaStep } from "./types.ts";

/** A data set written by a newer server: refuse it rather than misread it. */
export function schemaTooNew(where: string, found: number, known: number): ArgusError {
  return new ArgusError(
    "SCHEMA_TOO_NEW",
    `the database ${where} has schema version ${found}; this server knows up to ${known}: upgrade the server`,
    { database: where, version: found, known },
  );
}

/** Migration lists are numbered 1..N in order (checked at load, so a misplaced entry fails every test). */
export function checkNumbering(steps: ReadonlyArray<{ version: number }>): void {
  steps.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i + 1} is numbered ${m.version}`);
  });
}

export function stepRecord(from: number, to: number, step: number, name: string, t0: number): SchemaStep {
  return { from, to, step, name, ms: Math.round(performance.now() - t0) };
}
