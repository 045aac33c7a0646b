/** Server settings: the REST API, the web console and its event stream; composed into one schema in ../config.ts. */
import { z } from "zod";
import { bool, int } from "../fields.ts";

export const httpSettings = z
  .object({
    host: z.string().default("0.0.0.0").describe("REST API listen address"),
    port: int(0, 65535).default(8080).describe("REST API port"),
    trustProxy: bool(false).describe(
      "Behind a reverse proxy that is the only way in: the client address is the last X-Forwarded-For entry (sign-in throttling) and the scheme X-Forwarded-Proto; otherwise both headers are ignored",
    ),
    maxUploadBytes: int(1024)
      .default(10 * 1024 * 1024)
      .describe("Largest image upload (413 above)"),
    maxJsonBytes: int(1024)
      .default(1024 * 1024)
      .describe("Largest JSON body (413 above)"),
    maxJsonDepth: int(2, 256)
      .default(32)
      .describe("Deepest nesting of arrays and objects in a JSON body (400 `JSON_TOO_DEEP` above)"),
    maxImagePixels: int(1024)
      .default(25_000_000)
      .describe(
        "Largest image to decode, in pixels (413 above): 25 MP takes a phone's full-size photo (12 MP, or 24 MP at 5712x4284), not its 48-200 MP modes",
      ),
    maxConcurrentDecodes: int(1, 64)
      .default(2)
      .describe("Uploaded photos decoded and run through the face pipeline at once (enrol, identify, search, verify)"),
    maxQueuedDecodes: int(0, 1000)
      .default(4)
      .describe("Uploads waiting for a decode slot; more get 503 `BUSY` with Retry-After"),
    bulk: z
      .object({
        maxArchiveBytes: int(1024)
          .default(200 * 1024 * 1024)
          .describe(
            "Largest zip archive for bulk enrolment (`POST /enrol/bulk`; 413 above); it is held in memory while its photos are enrolled",
          ),
        maxFiles: int(1, 100_000)
          .default(1000)
          .describe(
            "Most entries (files and folders) in a bulk enrolment archive (422 `ARCHIVE_TOO_MANY_FILES` above)",
          ),
        maxUnpackedBytes: int(1024)
          .default(2 * 1024 * 1024 * 1024)
          .describe(
            "Most bytes of a bulk enrolment archive's files once unpacked, as declared (422 `ARCHIVE_TOO_LARGE` above); one file: `maxUploadBytes`, and never more than it declares (zip bombs)",
          ),
      })
      .strict()
      .prefault({})
      .describe("Bulk enrolment from a zip archive"),
  })
  .strict()
  .prefault({})
  .describe("REST API and web console");

export const consoleSettings = z
  .object({
    dir: z.string().optional().describe("The built web console served at `/`; unset: `web/dist` of this checkout"),
    sessionIdleMinutes: int(1).default(720).describe("A console session ends after this long without a request ..."),
    sessionMaxHours: int(1).default(168).describe("... and at the latest this long after sign-in"),
    secureCookies: z
      .enum(["auto", "always", "never"])
      .default("auto")
      .describe(
        "Secure flag of the session cookie: 'auto' when the request came over https, 'always' behind a TLS proxy",
      ),
    maxLoginFailures: int(1, 1000)
      .default(10)
      .describe(
        "Failed sign-ins per user name and client address before each further try waits (429; 1 s, doubling to 15 min); an address may fail 5x this in 15 minutes across all names",
      ),
  })
  .strict()
  .prefault({})
  .describe("The web console and its sign-in sessions");

export const streamSettings = z
  .object({
    maxPerPrincipal: int(1, 10_000)
      .default(8)
      .describe("Open event streams per token or console user (429 `TOO_MANY_STREAMS` beyond)"),
    maxTotal: int(1, 100_000).default(256).describe("Open event streams in all (503 `BUSY` beyond)"),
    journalMaxEvents: int(100, 10_000_000)
      .default(10_000)
      .describe("Published events kept in the store for replay after a reconnect (Last-Event-ID) ..."),
    journalMaxHours: int(1, 8760)
      .default(24)
      .describe("... and for at most this many hours; a client further behind gets a `reset` event"),
  })
  .strict()
  .prefault({})
  .describe("The event stream (`GET /api/v1/stream`)");
