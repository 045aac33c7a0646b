/**
 * Bulk enrolment through the API: a real zip archive built here from ../shared/data photos (one good
 * photo per person, a photo with no face, a group photo, a photo of someone already enrolled under
 * another name, a non-image, macOS's litter, an entry that unpacks too large), then the report, the
 * persons it created and the audit log; the per-file operation; the archive's bounds.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8, type Zippable, zipSync } from "fflate";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import {
  apiClient,
  bbt,
  DATA_DIR,
  HAVE_DATA,
  imageForm,
  type Json,
  NO_DATA_MESSAGE,
  type RunningServer,
  tempDir,
  waitFor,
} from "./helpers.ts";

if (!HAVE_DATA) console.log(`bulk enrolment: ${NO_DATA_MESSAGE}`);

const zipForm = (zip: Uint8Array, name = "people.zip") => {
  const fd = new FormData();
  fd.append("archive", new Blob([zip], { type: "application/zip" }), name);
  return fd;
};

describe.skipIf(!HAVE_DATA)("bulk enrolment", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1", bulk: { maxFiles: 40 } },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "error" },
      },
    });
    admin = apiClient(server, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("enrols a zip's photos by name and reports each file", async () => {
    // Already there: Penny (enrolled), and two persons named "Twin".
    const penny = (await admin("POST", "/api/v1/persons", { name: "Penny" })).body;
    expect((await admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }))).status).toBe(
      201,
    );
    for (let i = 0; i < 2; i++) await admin("POST", "/api/v1/persons", { name: "Twin" });

    const png = (n: string) => readFileSync(bbt(n));
    // A real photo without a face: the bottom-left corner of a group photo (shirts and a sofa).
    const noFace = await sharp(join(DATA_DIR, "groups/bbt1.jpg"))
      .extract({ left: 0, top: 520, width: 360, height: 240 })
      .jpeg()
      .toBuffer();
    // A face too small to enrol (48 px photo): below the quality floor.
    const tiny = await sharp(bbt("amy3")).resize(48).png().toBuffer();
    const files: Zippable = {
      "__MACOSX/._Amy_1.png": strToU8("AppleDouble"),
      ".DS_Store": strToU8("Bud1"),
      "Amy_1.png": [png("amy1"), { level: 0 }],
      "Amy_2.png": [png("amy2"), { level: 0 }],
      "Raj Koothrappali/raj1.png": [png("raj1"), { level: 0 }],
      Sheldon: {},
      "Sheldon/sheldon1.png": [png("sheldon1"), { level: 0 }],
      "Penny/penny2.png": [png("penny2"), { level: 0 }],
      // Penny again, under another name: enrolled, and a possible duplicate of Penny.
      "Penelope_1.png": [png("penny3"), { level: 0 }],
      "Twin/leonard1.png": [png("leonard1"), { level: 0 }],
      "Nobody_1.jpg": [noFace, { level: 0 }],
      "Tiny_1.png": [tiny, { level: 0 }],
      "Group_1.jpg": [readFileSync(join(DATA_DIR, "groups/bbt1.jpg")), { level: 0 }],
      "notes.txt": strToU8("who is who"),
      "Fake_1.jpg": strToU8("not a jpeg at all"),
      // 12 MB of zeros (a few kB packed): beyond the 10 MB per-file bound once unpacked.
      "Bomb_1.jpg": new Uint8Array(12 * 1024 * 1024),
    };
    const zip = zipSync(files);
    expect(zip.length).toBeLessThan(2_000_000);

    const r = await admin("POST", "/api/v1/enrol/bulk", zipForm(zip));
    expect(r.status).toBe(200);
    const lines = new Map<string, Json>(r.body.files.map((f: Json) => [f.file, f]));
    const outcome = (file: string) => {
      const f = lines.get(file);
      return f.status === "refused" ? f.error.code : f.status;
    };
    expect(Object.fromEntries([...lines.keys()].map((k) => [k, outcome(k)]))).toEqual({
      "__MACOSX/._Amy_1.png": "ignored",
      ".DS_Store": "ignored",
      "Amy_1.png": "enrolled",
      "Amy_2.png": "enrolled",
      "Raj Koothrappali/raj1.png": "enrolled",
      "Sheldon/": "ignored",
      "Sheldon/sheldon1.png": "enrolled",
      "Penny/penny2.png": "enrolled",
      "Penelope_1.png": "enrolled",
      "Twin/leonard1.png": "AMBIGUOUS_NAME",
      "Nobody_1.jpg": "NO_FACE",
      "Tiny_1.png": "LOW_QUALITY",
      "Group_1.jpg": "MULTIPLE_FACES",
      "notes.txt": "NOT_AN_IMAGE",
      "Fake_1.jpg": "IMAGE_UNSUPPORTED",
      "Bomb_1.jpg": "ENTRY_TOO_LARGE",
    });
    expect(r.body.summary).toEqual({
      files: 16,
      enrolled: 6,
      possibleDuplicates: 1,
      refused: 7,
      ignored: 3,
      personsCreated: 4, // Amy (once for two photos), Raj Koothrappali, Sheldon, Penelope
    });

    const amy1 = lines.get("Amy_1.png");
    const amy2 = lines.get("Amy_2.png");
    expect(amy1).toMatchObject({ name: "Amy", created: true, facesFound: 1, duplicates: [] });
    expect(amy2).toMatchObject({ name: "Amy", created: false, person: { id: amy1.person.id } });
    expect(amy1.quality).toBeGreaterThan(0.35);
    expect(lines.get("Penny/penny2.png")).toMatchObject({ created: false, person: { id: penny.id, name: "Penny" } });
    const penelope = lines.get("Penelope_1.png");
    expect(penelope).toMatchObject({ created: true, name: "Penelope" });
    expect(penelope.duplicates).toEqual([
      expect.objectContaining({ person: expect.objectContaining({ id: penny.id, name: "Penny" }) }),
    ]);
    expect(lines.get("Twin/leonard1.png").error.message).toMatch(/2 persons are named 'Twin'/);
    expect(lines.get("Group_1.jpg").error.message).toMatch(/4 faces found/);
    expect(lines.get("Bomb_1.jpg").error.message).toMatch(/12582912 bytes once unpacked/);

    // The persons: each created once, with their photos; a refused photo made nobody.
    const named = async (q: string) =>
      (await admin("GET", `/api/v1/persons?q=${encodeURIComponent(q)}`)).body.items.filter((p: Json) => p.name === q);
    for (const [name, photos] of [
      ["Amy", 2],
      ["Raj Koothrappali", 1],
      ["Sheldon", 1],
      ["Penelope", 1],
      ["Penny", 2],
    ] as const) {
      const found = await named(name);
      expect(found, name).toHaveLength(1);
      expect((await admin("GET", `/api/v1/persons/${found[0].id}/faces`)).body.items, name).toHaveLength(photos);
    }
    expect(lines.get("Tiny_1.png").error.message).toMatch(/below the enrolment floor 0.35 .*; send a better photo$/);
    for (const name of ["Nobody", "Tiny", "Group", "Fake", "Bomb", "notes"])
      expect(await named(name), name).toEqual([]);

    // The audit log: one face.enrol per enrolled photo (and Penny's first), one person.create per person.
    const audit = async (action: string) => (await admin("GET", `/api/v1/audit?action=${action}&limit=100`)).body.items;
    const enrols = await audit("face.enrol");
    expect(enrols).toHaveLength(7);
    expect(
      enrols
        .filter((e: Json) => e.after.bulk)
        .map((e: Json) => e.after.bulk.file)
        .sort(),
    ).toEqual([
      "Amy_1.png",
      "Amy_2.png",
      "Penelope_1.png",
      "Penny/penny2.png",
      "Raj Koothrappali/raj1.png",
      "Sheldon/sheldon1.png",
    ]);
    expect(enrols[0].actor.name).toBeTruthy();
    const creates = (await audit("person.create")).filter((e: Json) => e.after.bulk);
    expect(creates.map((e: Json) => e.after.name).sort()).toEqual(["Amy", "Penelope", "Raj Koothrappali", "Sheldon"]);
  });

  it("enrols one named file at a time, and plans an archive without enrolling it", async () => {
    const one = await admin(
      "POST",
      "/api/v1/enrol/file?name=Howard&file=staff%2FHoward_1.png",
      imageForm({ image: bbt("howard1") }),
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ file: "staff/Howard_1.png", status: "enrolled", created: true, name: "Howard" });
    const again = await admin("POST", "/api/v1/enrol/file?name=Howard", imageForm({ image: bbt("howard2") }));
    expect(again.body).toMatchObject({ status: "enrolled", created: false, person: { id: one.body.person.id } });
    const group = await admin(
      "POST",
      "/api/v1/enrol/file?name=Crowd",
      imageForm({ image: join(DATA_DIR, "groups/bbt1.jpg") }),
    );
    expect(group.status).toBe(200);
    expect(group.body).toMatchObject({ status: "refused", error: { code: "MULTIPLE_FACES" }, person: null });

    const zip = zipSync({
      "Howard/howard3.png": readFileSync(bbt("howard3")),
      "Stuart_1.png": readFileSync(bbt("stuart1")),
    });
    const plan = await admin("POST", "/api/v1/enrol/bulk?dryRun=true", Buffer.from(zip), {
      "content-type": "application/zip",
    });
    expect(plan.status).toBe(200);
    expect(plan.body.files).toEqual([
      expect.objectContaining({
        status: "planned",
        name: "Howard",
        created: false,
        person: expect.objectContaining({ id: one.body.person.id }),
      }),
      expect.objectContaining({ status: "planned", name: "Stuart", created: true, person: null }),
    ]);
    expect((await admin("GET", `/api/v1/persons/${one.body.person.id}/faces`)).body.items).toHaveLength(2);
  });

  it("stops enrolling an archive when its client hangs up", async () => {
    const lfw = join(DATA_DIR, "faces/lfw-dev");
    const people = readdirSync(lfw).sort().slice(100, 140); // 40 entries: this server's maximum
    const zip = zipSync(
      Object.fromEntries(
        people.map((p) => [`${p}/${p}_0001.jpg`, [readFileSync(join(lfw, p, `${p}_0001.jpg`)), { level: 0 }]]),
      ),
    );
    const enrolled = async () =>
      (await admin("GET", "/api/v1/audit?action=face.enrol&limit=500")).body.items.filter((e: Json) =>
        people.some((p) => e.after.bulk?.file?.startsWith(`${p}/`)),
      ).length;
    const abort = new AbortController();
    const sent = fetch(`${server.url}/api/v1/enrol/bulk`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/zip" },
      body: zip,
      signal: abort.signal,
    }).catch((e: Error) => e);
    await waitFor(async () => (await enrolled()) > 0, "the first photo enrolled");
    abort.abort();
    expect(await sent).toBeInstanceOf(Error);
    // The count settles (the photo in progress finishes) well before the 40 photos.
    let last = -1;
    const settled = await waitFor(async () => {
      const n = await enrolled();
      if (n === last) return n;
      last = n;
      await new Promise((r) => setTimeout(r, 300));
      return undefined;
    }, "the enrolment stopped");
    expect(settled).toBeLessThan(people.length);
  });

  it("refuses archives beyond the bounds, and non-operators", async () => {
    const notZip = await admin("POST", "/api/v1/enrol/bulk", Buffer.from("PK but not really a zip archive"), {
      "content-type": "application/zip",
    });
    expect(notZip.status).toBe(422);
    expect(notZip.body.error.code).toBe("ARCHIVE_INVALID");
    const many = zipSync(Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`P${i}_1.jpg`, strToU8("x")])));
    const tooMany = await admin("POST", "/api/v1/enrol/bulk", zipForm(many));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error).toMatchObject({
      code: "ARCHIVE_TOO_MANY_FILES",
      details: { entries: 41, maxEntries: 40 },
    });
    // Entries claiming 1.5 GB each once unpacked (a zip bomb's central directory): refused whole, before inflating.
    const bomb = zipSync({ "A_1.jpg": strToU8("a"), "B_1.jpg": strToU8("b") });
    const v = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    for (let i = 0; i + 4 <= bomb.length; i++)
      if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, 1.5e9, true);
    const tooBig = await admin("POST", "/api/v1/enrol/bulk", zipForm(bomb));
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.error.code).toBe("ARCHIVE_TOO_LARGE");
    expect(tooBig.body.error.message).toMatch(/more than 2147483648 bytes once unpacked/);
    const wrongField = new FormData();
    wrongField.append("image", new Blob([many]), "x.zip");
    expect((await admin("POST", "/api/v1/enrol/bulk", wrongField)).status).toBe(400);
    expect((await admin("POST", "/api/v1/enrol/bulk", { archive: "x" })).status).toBe(415);

    const viewerToken = (await admin("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body.token;
    const viewer = apiClient(server, viewerToken);
    expect((await viewer("POST", "/api/v1/enrol/bulk", zipForm(many))).status).toBe(403);
    expect((await viewer("POST", "/api/v1/enrol/file?name=X", imageForm({ image: bbt("amy3") }))).status).toBe(403);
  });
});

describe.skipIf(!HAVE_DATA)("bulk enrolment and the photo gate", () => {
  let server: RunningServer;
  afterAll(async () => {
    await server?.stop();
  });

  it("shares the one photo slot with interactive uploads: they get 503 meanwhile, the archive waits instead", async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1", maxConcurrentDecodes: 1, maxQueuedDecodes: 0 },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "error" },
      },
    });
    const admin = apiClient(server, server.adminToken);
    const names = ["amy", "bernadette", "howard", "leonard", "raj", "sheldon", "stuart", "penny"];
    const zip = Buffer.from(
      zipSync(Object.fromEntries(names.map((n) => [`${n}/${n}1.png`, [readFileSync(bbt(`${n}1`)), { level: 0 }]]))),
    );
    // Identify requests in a loop while the archive is enrolled: they compete for the one slot.
    const statuses: number[] = [];
    let done = false;
    const competing = (async () => {
      while (!done) statuses.push((await admin("POST", "/api/v1/identify", imageForm({ image: bbt("amy2") }))).status);
    })();
    // The archive itself is admitted like any upload: 503 while an identify holds the slot.
    let r: Awaited<ReturnType<typeof admin>>;
    do r = await admin("POST", "/api/v1/enrol/bulk", zip, { "content-type": "application/zip" });
    while (r.status === 503);
    done = true;
    await competing;
    expect(r.status).toBe(200);
    expect(r.body.summary).toMatchObject({ enrolled: 8, refused: 0 });
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
  });
});
