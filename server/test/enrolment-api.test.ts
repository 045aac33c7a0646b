/**
 * Enrolment through the REST API on real photos: the quality floor (422 LOW_QUALITY, `?force=true`),
 * the dominant face of a photo with a bystander, the ambiguous photo (422 MULTIPLE_FACES naming the
 * faces), the warning when the photo matches another person; and the grades of search by photo.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/index.ts";
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
} from "./helpers.ts";

const lfw = (name: string, n: number) =>
  join(DATA_DIR, "faces/lfw-dev", name, `${name}_${String(n).padStart(4, "0")}.jpg`);
const HAVE_LFW = HAVE_DATA && existsSync(lfw("Adrien_Brody", 4));
if (!HAVE_LFW) console.log(`enrolment-api: ${NO_DATA_MESSAGE}`);

describe.skipIf(!HAVE_LFW)("enrolment", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof apiClient>;
  const jpeg = (file: string) => [readFileSync(file), { "content-type": "image/jpeg" }] as const;
  const newPerson = async (name: string) => (await admin("POST", "/api/v1/persons", { name })).body as Json;

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "error" },
      },
    });
    admin = apiClient(server, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a face below the quality floor with its quality and the floor, unless forced", async () => {
    const p = await newPerson("John Thune");
    // LFW's John_Thune_0001: one face, quality about 0.16 (the floor is 0.35).
    const r = await admin("POST", `/api/v1/persons/${p.id}/faces`, ...jpeg(lfw("John_Thune", 1)));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("LOW_QUALITY");
    expect(r.body.error.message).toMatch(/^image: the face's quality is 0\.\d\d, below the enrolment floor 0\.35/);
    expect(r.body.error.details).toMatchObject({ floor: 0.35, quality: expect.any(Number) });
    expect(r.body.error.details.quality).toBeLessThan(0.35);
    expect((await admin("GET", `/api/v1/persons/${p.id}/faces`)).body.items).toHaveLength(0);
    const forced = await admin("POST", `/api/v1/persons/${p.id}/faces?force=true`, ...jpeg(lfw("John_Thune", 1)));
    expect(forced.status).toBe(201);
    expect(forced.body).toMatchObject({ forced: true, facesFound: 1, warnings: [] });
    expect(forced.body.quality).toBeCloseTo(r.body.error.details.quality, 3);
    expect(
      (await admin("POST", `/api/v1/persons/${p.id}/faces?force=maybe`, ...jpeg(lfw("John_Thune", 1)))).status,
    ).toBe(400);
  });

  it("enrols the dominant face of a photo with a bystander, and says which", async () => {
    const p = await newPerson("Adrien Brody");
    // Adrien_Brody_0004: the centred subject and a face of about his size cut by the right border.
    const r = await admin("POST", `/api/v1/persons/${p.id}/faces`, ...jpeg(lfw("Adrien_Brody", 4)));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ facesFound: 2, forced: false });
    const [x1, , x2] = r.body.box;
    expect((x1 + x2) / 2).toBeGreaterThan(90); // the centred face (67-157), not the one at 165-250
    expect((x1 + x2) / 2).toBeLessThan(135);
    // It is Adrien Brody: another photo of him finds him.
    const search = await admin("POST", "/api/v1/identify", ...jpeg(lfw("Adrien_Brody", 1)));
    expect(search.body.faces[0].candidates[0]).toMatchObject({ person: { id: p.id }, match: true });
  });

  it("refuses an ambiguous photo, listing every face with its box and quality", async () => {
    const p = await newPerson("Matt Doherty");
    // Matt_Doherty_0003: two faces of about the same size side by side near the center.
    const r = await admin("POST", `/api/v1/persons/${p.id}/faces`, ...jpeg(lfw("Matt_Doherty", 3)));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("MULTIPLE_FACES");
    expect(r.body.error.message).toMatch(/^image: 2 faces found and none clearly dominant/);
    expect(r.body.error.details.count).toBe(2);
    expect(r.body.error.details.faces).toHaveLength(2);
    for (const f of r.body.error.details.faces) {
      expect(f.box).toHaveLength(4);
      expect(f.quality).toBeGreaterThan(0);
    }
    // A group photo, too.
    const group = await admin(
      "POST",
      `/api/v1/persons/${p.id}/faces`,
      imageForm({ image: join(DATA_DIR, "groups/bbt1.jpg") }),
    );
    expect(group.body.error).toMatchObject({ code: "MULTIPLE_FACES", details: { count: 4 } });
  });

  it("warns when the photo matches another person (the same person enrolled twice?)", async () => {
    const howard = await newPerson("Howard");
    const first = await admin("POST", `/api/v1/persons/${howard.id}/faces`, imageForm({ image: bbt("howard1") }));
    expect(first.body.warnings).toEqual([]);
    const again = await newPerson("Howard W.");
    const r = await admin("POST", `/api/v1/persons/${again.id}/faces`, imageForm({ image: bbt("howard2") }));
    expect(r.status).toBe(201); // enrolled all the same: the operator decides (merge, or delete the photo)
    expect(r.body.warnings).toHaveLength(1);
    expect(r.body.warnings[0]).toMatchObject({
      person: { id: howard.id, name: "Howard", kind: "enrolled" },
      grade: expect.stringMatching(/^(likely|strong)$/),
    });
    expect(r.body.warnings[0].similarity).toBeGreaterThan(0.45);
    // A second photo of the same person is no warning.
    const own = await admin("POST", `/api/v1/persons/${howard.id}/faces`, imageForm({ image: bbt("howard3") }));
    expect(own.body.warnings.map((w: Json) => w.person.id)).not.toContain(howard.id);
  });

  it("search by photo grades each candidate; the threshold is the gallery's operating threshold", async () => {
    const r = await admin("POST", "/api/v1/search", imageForm({ image: bbt("howard4") }));
    expect(r.status).toBe(200);
    expect(r.body.threshold).toBe(0.45); // a small gallery: the floor
    const cands = r.body.faces[0].candidates;
    expect(cands.length).toBeGreaterThanOrEqual(2);
    // Two Howards within the margin of each other: the best is one grade weaker than alone.
    const howards = cands.filter((c: Json) => c.person.name.startsWith("Howard"));
    expect(howards).toHaveLength(2);
    for (const c of cands) expect(["strong", "likely", "possible", null]).toContain(c.grade);
    expect(cands[0].match).toBe(true);
    expect(cands[0].grade).not.toBeNull();
  });
});
