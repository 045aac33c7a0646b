/**
 * Bulk enrolment throughput: a zip of the first photo of --persons LFW people (folds 1-5, 250x250
 * JPEG, `Name/Name_0001.jpg`) posted to a fresh server's POST /api/v1/enrol/bulk, then the same
 * photos' second images (for those that have one) through POST /api/v1/enrol/file one at a time,
 * as the console and enrol-folder send them. Prints wall time per photo and the report's summary.
 *
 *   pnpm exec tsx bench/bulk-enrol.ts [--persons 200]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { zipSync } from "fflate";
import { startServer } from "../server/src/server.ts";
import { DATA_DIR, tempDir } from "../server/test/helpers.ts";

const { values } = parseArgs({ options: { persons: { type: "string", default: "200" } } });
const n = Number(values.persons);
const lfw = join(DATA_DIR, "faces/lfw-dev");
const people = readdirSync(lfw).sort().slice(0, n);

const server = await startServer({
  config: {
    dataDir: tempDir("argus-bench-bulk-"),
    http: { port: 0, host: "127.0.0.1" },
    mqtt: { port: 0, host: "127.0.0.1" },
    log: { level: "error" },
  },
});
const auth = { authorization: `Bearer ${server.adminToken}` };
try {
  const zip = zipSync(
    Object.fromEntries(
      people.map((p) => [`${p}/${p}_0001.jpg`, [readFileSync(join(lfw, p, `${p}_0001.jpg`)), { level: 0 }]]),
    ),
  );
  // warm the pipeline (model load) outside the measurement
  await fetch(`${server.url}/api/v1/identify`, {
    method: "POST",
    headers: { ...auth, "content-type": "image/jpeg" },
    body: readFileSync(join(lfw, people[0], `${people[0]}_0001.jpg`)),
  });
  let t0 = performance.now();
  const r = await fetch(`${server.url}/api/v1/enrol/bulk`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/zip" },
    body: zip,
  });
  const report = (await r.json()) as {
    summary: Record<string, number>;
    files: Array<{ status: string; error: { code: string } | null }>;
  };
  const refusals: Record<string, number> = {};
  for (const f of report.files) if (f.error) refusals[f.error.code] = (refusals[f.error.code] ?? 0) + 1;
  const ms = performance.now() - t0;
  console.log(
    `archive: ${people.length} photos, ${(zip.length / 1e6).toFixed(1)} MB, ${(ms / 1000).toFixed(1)} s, ${(ms / people.length).toFixed(0)} ms per photo`,
    JSON.stringify(report.summary),
    JSON.stringify(refusals),
  );
  const second = people.filter((p) => existsSync(join(lfw, p, `${p}_0002.jpg`)));
  t0 = performance.now();
  const counts: Record<string, number> = {};
  for (const p of second) {
    const res = await fetch(`${server.url}/api/v1/enrol/file?name=${encodeURIComponent(p.replace(/_/g, " "))}`, {
      method: "POST",
      headers: { ...auth, "content-type": "image/jpeg" },
      body: readFileSync(join(lfw, p, `${p}_0002.jpg`)),
    });
    const line = (await res.json()) as { status: string; created: boolean; error: { code: string } | null };
    const k = line.status === "refused" ? line.error!.code : line.created ? "enrolled-new" : "enrolled-existing";
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const ms2 = performance.now() - t0;
  console.log(
    `one at a time: ${second.length} photos, ${(ms2 / 1000).toFixed(1)} s, ${(ms2 / Math.max(1, second.length)).toFixed(0)} ms per photo`,
    JSON.stringify(counts),
  );
} finally {
  await server.stop();
}
