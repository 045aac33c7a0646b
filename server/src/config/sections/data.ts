/** Server settings: storage, retention, the audit log and logging; composed into one schema in ../config.ts. */
import { z } from "zod";
import { bool, int } from "../fields.ts";

export const storeSettings = z
  .object({
    mongodbUrl: z.string().optional().describe("MongoDB instead of SQLite (`mongodb://...`)"),
    mongodbDb: z.string().optional().describe("MongoDB database name"),
  })
  .strict()
  .prefault({})
  .describe("Storage: SQLite in `dataDir` unless a MongoDB URL is set");

export const retentionSettings = z
  .object({
    days: int(0)
      .default(30)
      .describe("Sightings and crops older than this many days are removed; 0 keeps them forever"),
    keepListed: bool(true).describe("Keep the history of persons on a list (friend/foe)"),
    intervalMinutes: int(1).default(60).describe("Period of the retention job"),
  })
  .strict()
  .prefault({})
  .describe("Privacy: how long sightings are kept");

export const auditSettings = z
  .object({
    days: int(0)
      .default(365)
      .describe("Audit log entries older than this many days are removed (by the retention job); 0 keeps them forever"),
  })
  .strict()
  .prefault({})
  .describe("The audit log of operator actions (`GET /api/v1/audit`)");

export const logSettings = z
  .object({ level: z.string().default("info").describe("pino log level (debug, info, warn, error, silent)") })
  .strict()
  .prefault({})
  .describe("Logging");
