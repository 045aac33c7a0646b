/**
 * Uploads under abuse, against a real server on embedded defaults: PNG decompression bombs sent in
 * parallel (the photo gate queues a few and refuses the rest with 503 + Retry-After; memory stays
 * bounded; the server stays healthy), an image over the pixel limit; and the modes of everything the
 * server writes into its data directory (umask 022 notwithstanding).
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { apiClient, bbt, HAVE_DATA, imageForm, NO_DATA_MESSAGE, type RunningServer, tempDir } from "./helpers.ts";

if (!HAVE_DATA) console.log(`abuse-uploads: ${NO_DATA_MESSAGE}`);

/** A flat PNG of width x height: a few kB that decode to 3 bytes per pixel. */
const bomb = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();

/** Every directory and file under `dir` whose mode lets the group or others in. */
function openToOthers(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.mode & 0o077) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}

describe.skipIf(!HAVE_DATA)("uploads under abuse", () => {
  let server: RunningServer;
  let viewer: ReturnType<typeof apiClient>;
  let umask: number;
  const dataDir = join(tempDir(), "data"); // made by the server

  beforeAll(async () => {
    umask = process.umask(0o022); // a usual umask: files would come out 644, directories 755
    server = await startServer({
      config: { dataDir, http: { port: 0, host: "127.0.0.1" }, mqtt: { port: 0, host: "127.0.0.1" } },
    });
    const admin = apiClient(server, server.adminToken);
    viewer = apiClient(server, (await admin("POST", "/api/v1/tokens", { role: "viewer", name: "v" })).body.token);
  });
  afterAll(async () => {
    await server?.stop();
    process.umask(umask);
  });

  it("eight parallel PNG bombs just under the pixel limit: a few wait, the rest get 503; memory stays bounded", async () => {
    // Warm: the models are loaded and a real photo works.
    const warm = await viewer("POST", "/api/v1/identify", imageForm({ image: bbt("penny1") }));
    expect(warm.status).toBe(200);
    expect(warm.body.faces.length).toBe(1);

    const { maxImagePixels, maxConcurrentDecodes, maxQueuedDecodes } = server.config.http;
    const side = Math.floor(Math.sqrt(maxImagePixels));
    const png = await bomb(side, side);
    expect(png.length).toBeLessThan(200_000);
    const upload = () =>
      fetch(`${server.url}/api/v1/identify`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "image/png" },
        body: png,
      }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() }));

    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const results = await Promise.all(Array.from({ length: 8 }, upload));
    clearInterval(sampler);

    const ok = results.filter((r) => r.status === 200);
    const busy = results.filter((r) => r.status === 503);
    expect(ok.length + busy.length).toBe(8);
    expect(ok.length).toBe(maxConcurrentDecodes + maxQueuedDecodes);
    expect(busy.length).toBe(8 - maxConcurrentDecodes - maxQueuedDecodes);
    for (const b of busy) {
      expect(b.body.error.code).toBe("BUSY");
      expect(Number(b.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Two decoded bombs at a time (75 MB of pixels each, plus the pipeline's working images), not eight.
    const grewMb = (peak - base) / 1e6;
    console.log(`abuse-uploads: 8 bombs of ${side}x${side}: RSS +${grewMb.toFixed(0)} MB at peak`);
    expect(grewMb).toBeLessThan(600);

    // Healthy after: health, a real photo, and the refusals counted.
    expect((await viewer("GET", "/health")).status).toBe(200);
    expect((await viewer("POST", "/api/v1/identify", imageForm({ image: bbt("penny1") }))).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/argus_http_refused_total\{status="503",code="BUSY"\} [1-9]/);
  }, 180_000);

  it("an image over the pixel limit is refused from its header, before decoding (413)", async () => {
    const side = Math.floor(Math.sqrt(server.config.http.maxImagePixels)) + 1;
    const r = await viewer("POST", "/api/v1/identify", await bomb(side, side), { "content-type": "image/png" });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("IMAGE_TOO_MANY_PIXELS");
  });

  it("a multipart body cut off inside its file is a 400, not an uncaught error that ends the server", async () => {
    const uncaught: Error[] = [];
    const record = (e: Error) => uncaught.push(e);
    process.on("uncaughtException", record);
    try {
      const head = `--B\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`;
      for (const body of [`${head}abc`, `${head}`, "--B\r\nContent-Disposition: form-data; name=", "--B"]) {
        const r = await viewer("POST", "/api/v1/identify", Buffer.from(body), {
          "content-type": "multipart/form-data; boundary=B",
        });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toMatch(/INVALID_MULTIPART|INVALID_ARGUMENT/);
      }
      expect((await viewer("GET", "/health")).status).toBe(200);
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", record);
    }
  });

  it("the data directory is the server's alone: directories 0700, files 0600 (umask 022)", async () => {
    // A real run: a person with an enrolled photo (its crop), the database and its WAL, the tokens.
    const admin = apiClient(server, server.adminToken);
    const p = (await admin("POST", "/api/v1/persons", { name: "Penny" })).body;
    expect((await admin("POST", `/api/v1/persons/${p.id}/faces`, imageForm({ image: bbt("penny2") }))).status).toBe(
      201,
    );
    const files = readdirSync(dataDir);
    expect(files).toEqual(
      expect.arrayContaining(["argus.db", "argus.db-wal", "admin-token", "admin-password", "crops"]),
    );
    expect(openToOthers(dataDir)).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    // The index snapshot is written at stop.
    await server.stop();
    expect(readdirSync(join(dataDir, "index")).length).toBeGreaterThan(0);
    expect(openToOthers(dataDir)).toEqual([]);
  });
});
