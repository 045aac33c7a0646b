/**
 * Bulk enrolment in the console, end to end (real server, headless Chromium): a zip archive made
 * here from ../shared/data photos is unpacked in the browser, listed with the person of each file,
 * enrolled file by file with progress, and reported: enrolled, refused with the reason (several
 * faces; not an image), a possible duplicate linking to the person it matches; macOS's litter left
 * out. Then the page at 390 px (axe-core, no horizontal overflow), and operators only.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, DATA_DIR, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, tempDir } from "../../server/test/helpers.ts";
import { browserTestsUnavailable } from "../../web/test/browser.ts";
import { axeAudit, type Harness, horizontalOverflow, PHONE, serious, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("console: bulk enrolment (Chromium)", () => {
  let h: Harness;
  let penny: Json;
  const dir = tempDir("argus-bulk-e2e-");

  beforeAll(async () => {
    h = await startConsole([]);
    penny = (await h.admin("POST", "/api/v1/persons", { name: "Penny" })).body;
    await h.admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
  });
  afterAll(async () => {
    await h?.close();
  });

  it("enrols a zip file by file and reports enrolled, refused and possible duplicates", async () => {
    const zip = zipSync({
      "__MACOSX/._Raj_1.png": strToU8("AppleDouble"),
      "Amy Farrah Fowler/amy1.png": [readFileSync(bbt("amy1")), { level: 0 }],
      "Raj_1.png": [readFileSync(bbt("raj1")), { level: 0 }],
      "Penelope_1.png": [readFileSync(bbt("penny3")), { level: 0 }],
      "Group_1.jpg": [readFileSync(join(DATA_DIR, "groups/bbt1.jpg")), { level: 0 }],
      "notes.txt": strToU8("who is who"),
    });
    writeFileSync(join(dir, "people.zip"), zip);

    const page = await h.signedIn("oscar");
    await page.locator(".top nav").getByRole("link", { name: "Search" }).click();
    await page.getByRole("link", { name: "Bulk enrolment" }).click();
    await page.getByRole("heading", { name: "Bulk enrolment" }).waitFor();
    await page.getByLabel("Zip archive or photos").setInputFiles(join(dir, "people.zip"));
    const plan = page.locator('[data-testid="bulk-plan"]');
    await plan.waitFor();
    expect(await plan.textContent()).toBe(
      "4 photos of 4 persons; 1 file refused before sending; 1 file left out (folders, system files).",
    );
    const row = (file: string) => page.locator(`tr.bulk-row[data-file="${file}"]`);
    // Before sending: the person each photo goes to; the non-image already refused.
    expect(await row("Raj_1.png").locator('td[data-label="Person"]').textContent()).toBe("Raj");
    expect(await row("notes.txt").getAttribute("data-outcome")).toBe("NOT_AN_IMAGE");
    expect(await row("Raj_1.png").getAttribute("data-outcome")).toBe("waiting");
    expect(await page.locator('tr[data-file^="__MACOSX"]').count()).toBe(0);

    await page.getByRole("button", { name: "Enrol 4 photos" }).click();
    const summary = page.locator('[data-testid="bulk-summary"]');
    await summary.waitFor();
    expect(await summary.textContent()).toBe(
      "3 photos enrolled (3 new persons, 1 possible duplicate), 2 refused, 1 left out.",
    );
    expect(await page.getByLabel("Enrolment progress").getAttribute("value")).toBe("4");
    expect(await row("Amy Farrah Fowler/amy1.png").getAttribute("data-outcome")).toBe("enrolled");
    expect(await row("Raj_1.png").getAttribute("data-outcome")).toBe("enrolled");
    expect(await row("Raj_1.png").locator(".outcome").textContent()).toMatch(/^enrolled \(face quality \d+%\)$/);
    expect(await row("Group_1.jpg").getAttribute("data-outcome")).toBe("MULTIPLE_FACES");
    expect(await row("Group_1.jpg").locator(".outcome").textContent()).toMatch(/^refused: 4 faces found/);
    expect(await row("Penelope_1.png").getAttribute("data-outcome")).toBe("duplicate");
    expect(await row("Penelope_1.png").locator(".outcome").textContent()).toMatch(
      /^enrolled \(face quality \d+%\) — possible duplicate of Penny \(similarity 0\.\d\d/,
    );
    await h.shot(page, "bulk-enrol");
    // The report as CSV, one row per file.
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download the report (CSV)" }).click(),
    ]);
    const text = readFileSync((await csv.path())!, "utf8");
    expect(text.split("\r\n")[0]).toBe(
      "file,status,person_name,person_id,new_person,quality,code,reason,possible_duplicates",
    );
    expect(text).toMatch(/\r\nGroup_1\.jpg,refused,Group,,false,,MULTIPLE_FACES,/);
    expect(text).toMatch(/\r\nPenelope_1\.png,enrolled,Penelope,[0-9a-f-]+,true,0\.\d+,,,Penny \(/);
    expect(text).toContain(`Penny (${penny.id}) 0.`);
    expect(text).toMatch(/\r\n__MACOSX\/\._Raj_1\.png,ignored,/);

    // What the server made: one person per name, each with their photo.
    for (const name of ["Amy Farrah Fowler", "Raj", "Penelope"]) {
      const found = (await h.admin("GET", `/api/v1/persons?q=${encodeURIComponent(name)}`)).body.items;
      expect(
        found.map((p: Json) => p.name),
        name,
      ).toEqual([name]);
    }
    const audit = (await h.admin("GET", "/api/v1/audit?action=face.enrol&actor=oscar")).body.items;
    expect(audit).toHaveLength(3);

    // The duplicate links to the person it matches.
    await row("Penelope_1.png").getByRole("link", { name: "Penny" }).click();
    await page.getByRole("heading", { name: "Penny", exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/persons/${penny.id}`);
  });

  it("works at 390 px with several chosen photos, without serious accessibility findings", async () => {
    const page = await h.signedIn("oscar", { viewport: PHONE, audit: true });
    await page.goto(`${h.server.url}/persons/bulk`);
    await page
      .getByLabel("Zip archive or photos")
      .setInputFiles([bbt("stuart1"), bbt("stuart2"), join(DATA_DIR, "groups/bbt2.jpg")]);
    await page.getByRole("button", { name: "Enrol 3 photos" }).click();
    const summary = page.locator('[data-testid="bulk-summary"]');
    await summary.waitFor();
    // stuart1.png and stuart2.png are "stuart"; bbt2.jpg is "bbt" (one clearly dominant face: enrolled).
    expect(await page.locator('tr.bulk-row[data-file="stuart1.png"] td[data-label="Person"]').textContent()).toBe(
      "stuart new",
    );
    expect(await summary.textContent()).toMatch(/^3 photos enrolled \(2 new persons/);
    expect(serious(await axeAudit(page))).toEqual([]);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(PHONE.width);
    await h.shot(page, "bulk-enrol-phone");
  });

  it("takes a folder: the person folders inside it name the persons", async () => {
    const folder = join(dir, "staff");
    mkdirSync(join(folder, "Sheldon Cooper"), { recursive: true });
    copyFileSync(bbt("sheldon1"), join(folder, "Sheldon Cooper/1.png"));
    copyFileSync(bbt("sheldon2"), join(folder, "Sheldon Cooper/2.png"));
    writeFileSync(join(folder, ".DS_Store"), "Bud1");
    const page = await h.signedIn("oscar");
    await page.goto(`${h.server.url}/persons/bulk`);
    await page.getByLabel("Or a folder").setInputFiles(folder);
    const plan = page.locator('[data-testid="bulk-plan"]');
    await plan.waitFor();
    expect(await plan.textContent()).toBe("2 photos of 1 person; 1 file left out (folders, system files).");
    const cell = page.locator('tr.bulk-row[data-file="Sheldon Cooper/2.png"] td[data-label="Person"]');
    expect(await cell.textContent()).toBe("Sheldon Cooper");
  });

  it("is for operators only", async () => {
    const viewer = await h.signedIn("vera");
    await viewer.goto(`${h.server.url}/persons/bulk`);
    await viewer.getByText("Only operators and admins enrol persons.").waitFor();
    expect(await viewer.getByLabel("Zip archive or photos").count()).toBe(0);
  });

  it("ran under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
