/**
 * The console's sighting views end to end (real server, real face events with the agent's own
 * context crops, headless Chromium): the detail dialog from every thumbnail (context image with the
 * face box, camera name, time, similarity, search with this face), camera names, the Sightings page
 * ("who passed camera X between 14:00 and 15:00?", CSV), and search by a group photo.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, DATA_DIR, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, contextCrop, type Harness, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

const GROUP = join(DATA_DIR, "groups/bbt4.jpg");

/** The little of a canvas these checks read (the test's TypeScript has no DOM types). */
type Canvas = {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};

/** Epoch ms of a wall-clock time in Paris (the browser's zone in these tests), `daysAgo` days back. */
function parisTime(daysAgo: number, hhmm: string): number {
  const day = new Date(Date.now() - daysAgo * 86_400_000);
  const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(day); // YYYY-MM-DD
  const guess = Date.parse(`${ymd}T${hhmm}:00Z`);
  const inParis = new Date(guess).toLocaleString("sv-SE", { timeZone: "Europe/Paris" }).replace(" ", "T");
  return guess - (Date.parse(`${inParis}Z`) - guess);
}
const parisDay = (daysAgo: number) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date(Date.now() - daysAgo * 86_400_000));

describe.skipIf(!!unavailable)("console: sightings, detail view, group photos (Chromium)", () => {
  let h: Harness;
  let page: Page;
  let penny: Json;
  let amy: Json;

  beforeAll(async () => {
    h = await startConsole(["penny2", "sheldon1", "amy2", "groups/bbt1.jpg@leonard1"]);
    penny = (await h.admin("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    await h.admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
    amy = (await h.admin("POST", "/api/v1/persons", { name: "Amy" })).body;
    await h.admin("POST", `/api/v1/persons/${amy.id}/faces`, imageForm({ image: bbt("amy1") }));
    // Yesterday: Sheldon at the gate at 14:10 and 14:50, Amy at the gate at 15:20, Sheldon at the lobby at 14:30.
    await h.send(h.faces.sheldon1, "gate", { at: parisTime(1, "14:10") });
    await h.send(h.faces.sheldon1, "gate", { at: parisTime(1, "14:50") });
    await h.send(h.faces.amy2, "gate", { at: parisTime(1, "15:20") });
    await h.send(h.faces.sheldon1, "lobby", { at: parisTime(1, "14:30") });
    await waitFor(async () => (await h.sightingCount()) === 4, "4 sightings stored");
    await h.cameraStatus("gate", "streaming");
    page = await h.signedIn("oscar");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("names a camera on the Cameras page; the name shows on the other pages", async () => {
    await page.locator(".top nav").getByRole("link", { name: "Cameras" }).click();
    const gate = page.locator('tr[data-camera="gate"]');
    await gate.waitFor();
    expect(await gate.locator(".camera-name").textContent()).toBe("gate"); // no name yet: the id
    await gate.getByRole("button", { name: "Rename camera gate" }).click();
    await gate.getByLabel("Name of gate").fill("Main gate");
    await gate.getByRole("button", { name: "Save" }).click();
    await gate.locator(".camera-name").getByText("Main gate").waitFor();
    expect(await gate.textContent()).toContain("id gate");
    const cams = (await h.admin("GET", "/api/v1/cameras")).body.cameras;
    expect(cams.find((c: Json) => c.id === "gate").name).toBe("Main gate");
    // "since": the state's report time until this console sees a change, then the time of the change
    expect(await gate.locator(".since").textContent()).toMatch(/^reported /);
    await h.cameraStatus("gate", "reconnecting");
    await gate.locator(".status").getByText("reconnecting").waitFor();
    await gate
      .locator(".since")
      .getByText(/^since /)
      .waitFor();
    await h.cameraStatus("gate", "streaming");
    await gate.locator(".status").getByText("streaming").waitFor();
    await h.shot(page, "cameras-named");
  });

  it("opens a live sighting: the context image with the face box where the agent cut it, the facts, keyboard and focus", async () => {
    await page.locator(".top nav").getByRole("link", { name: "Live" }).click();
    await page.locator(".sighting").first().waitFor();
    // Leonard (unknown here) in a group photo seen by the gate camera, with the agent's context crop.
    const face = h.faces.bbt1;
    await h.send(face, "gate", { context: true });
    const card = page.locator(".sighting.fresh");
    await card.waitFor();
    expect(await card.locator(".where").textContent()).toContain("Main gate");
    const thumb = card.locator(".thumb-btn");
    await thumb.click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await dialog.getByRole("heading", { name: /Unknown #\d+ at Main gate/ }).waitFor();
    // focus moved into the dialog
    expect(await page.evaluate("document.activeElement?.closest('dialog') !== null")).toBe(true);

    // The box: the agent cut a square 3x the face around it (clipped to the frame), so the face sits at
    // (box - region origin) in the context image's pixels.
    const ctx = await contextCrop(face);
    const [x1, y1, x2, y2] = face.box;
    const side = Math.max(x2 - x1, y2 - y1) * 3;
    const ox = Math.max(0, Math.round((x1 + x2) / 2 - side / 2));
    const oy = Math.max(0, Math.round((y1 + y2) / 2 - side / 2));
    const img = dialog.locator(".ctx-wrap img");
    await expect.poll(() => img.evaluate((i: { naturalWidth: number }) => i.naturalWidth)).toBe(ctx.width);
    const rect = dialog.locator("rect.face-box");
    await rect.waitFor();
    const drawn = (await rect.getAttribute("data-box"))!.split(",").map(Number);
    const expected = [x1 - ox, y1 - oy, x2 - ox, y2 - oy];
    for (let i = 0; i < 4; i++) expect(Math.abs(drawn[i] - expected[i])).toBeLessThan(1.5);
    expect(await dialog.textContent()).not.toContain("position approximate");
    // drawn from the region the agent said it cut (contextBox), not inferred
    expect(await rect.getAttribute("data-region")).toBe("agent");
    // and on screen, scaled with the displayed image
    const ib = (await img.boundingBox())!;
    const rb = (await rect.boundingBox())!;
    const scale = ib.width / ctx.width;
    expect(Math.abs(rb.x - ib.x - expected[0] * scale)).toBeLessThan(3);
    expect(Math.abs(rb.width - (expected[2] - expected[0]) * scale)).toBeLessThan(3);
    expect(await dialog.locator("[data-camera-name]").textContent()).toBe("Main gate (gate)");
    expect(await dialog.textContent()).toMatch(/new person: first sighting/);
    await h.shot(page, "sighting-detail");

    // Escape closes it and the focus returns to the thumbnail that opened it.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate("document.activeElement?.getAttribute('data-open-sighting')")).toBe(
      await thumb.getAttribute("data-open-sighting"),
    );
  });

  it("searches the history with a sighting's face, and opens sightings from the timeline, search and alerts", async () => {
    // Penny passes the gate (a foe: an alert); her whole frame is the context (a portrait). An older
    // agent's event: no contextBox, the console infers the region from the crop rule.
    await h.send(h.faces.penny2, "gate", { context: true, olderAgent: true });
    const card = page.locator(".sighting.is-foe");
    await card.waitFor();
    await card.locator(".thumb-btn").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: "Penny at Main gate" }).waitFor();
    expect(await dialog.locator(".sim-text").textContent()).toMatch(/^similarity 0\.\d\d$/);
    await dialog.locator("rect.face-box").waitFor();
    expect(await dialog.locator("rect.face-box").getAttribute("data-region")).toBe("inferred");
    await dialog.getByRole("button", { name: "Search history with this face" }).click();
    const results = dialog.locator('[data-testid="face-search-results"]');
    await results.locator(".candidates li").first().waitFor();
    expect(await results.locator(".candidates li").first().getAttribute("data-person")).toBe(penny.id);
    // operators can say "not this person" (console-identities.test.ts moves sightings with it)
    expect(await dialog.getByRole("button", { name: "Not this person…" }).isEnabled()).toBe(true);
    await dialog.getByRole("link", { name: "Open Penny" }).click();
    await page.waitForURL(new RegExp(`/persons/${penny.id}`));
    await dialog.waitFor({ state: "hidden" });

    // the person's timeline
    await page.locator(".tl-item .thumb-btn").first().click();
    await dialog.getByRole("heading", { name: "Penny at Main gate" }).waitFor();
    await page.keyboard.press("Escape");
    // the alerts page (the alert carries only the sighting's id: the dialog loads it)
    await page.locator(".top nav").getByRole("link", { name: "Alerts" }).click();
    await page.locator(".alert-row.alert-foe .thumb-btn").first().click();
    await dialog.getByRole("heading", { name: "Penny at Main gate" }).waitFor();
    await page.keyboard.press("Escape");
    // search results' recent sightings
    await page.locator(".top nav").getByRole("link", { name: "Search" }).click();
    await page.locator('[data-testid="dropzone"] input[type=file]').setInputFiles(bbt("penny3"));
    await page.locator('[data-testid="photo-results"] .thumb .thumb-btn').first().click();
    await dialog.getByRole("heading", { name: "Penny at Main gate" }).waitFor();
    await page.keyboard.press("Escape");
    // and a page of its own, to link to
    const sid = (await h.admin("GET", `/api/v1/sightings?personId=${penny.id}`)).body.items[0].id;
    await page.goto(`${h.server.url}/sightings/${sid}`);
    await page.getByRole("heading", { name: "Penny at Main gate" }).waitFor();
    await page.locator(".sighting-page rect.face-box").waitFor();
  });

  it("answers 'who passed the gate between 14:00 and 15:00 yesterday?' on the Sightings page, and exports it", async () => {
    await page.goto(h.server.url);
    await page.locator(".top nav").getByRole("link", { name: "Sightings" }).click();
    await page.locator(".sighting").first().waitFor();
    await page.locator("select[name=camera]").selectOption(`${AGENT}/gate`);
    await page.locator("input[name=day]").fill(parisDay(1));
    await page.locator("input[name=start]").fill("14:00");
    await page.locator("input[name=end]").fill("15:00");
    await page.waitForURL(/end=15%3A00/);
    await expect.poll(() => page.locator(".sighting").count()).toBe(2);
    expect(await page.locator('[data-testid="sightings-count"]').textContent()).toBe("2 sightings shown");
    const names = await page.locator(".sighting .who").allTextContents();
    expect(names.every((n) => /Unknown #\d+/.test(n))).toBe(true);
    expect(await page.locator('[data-testid="range-note"]').textContent()).toMatch(/2:00.*PM.*3:00.*PM|14:00.*15:00/);
    await h.shot(page, "sightings");

    // the CSV of the filtered list, made by the server (GET /api/v1/sightings.csv) in the browser's time zone
    const download = page.waitForEvent("download");
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/sightings.csv");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const file = await (await download).path();
    const csvResponse = await answer;
    expect(new URL(csvResponse.url()).searchParams.get("tz")).toBe("Europe/Paris");
    expect(new URL(csvResponse.url()).searchParams.get("cameraId")).toBe(`${AGENT}/gate`);
    const text = readFileSync(file!, "utf8");
    expect(text).toBe(await csvResponse.text()); // the file is the server's answer as it came
    const rows = text.trim().split("\r\n");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain("camera_name");
    expect(rows[1]).toMatch(/,gate,Main gate,/);
    expect(rows[1]).toMatch(/ 14:50:00,/); // local (Paris) time column
    expect(rows[2]).toMatch(/ 14:10:00,/); // newest first
    expect(await page.locator(".result-bar [role=status]").textContent()).toBe("Exported 2 rows.");

    // one more filter: enrolled persons only (Amy, 15:20, outside the range) -> none in the range
    await page.locator("select[name=kind]").selectOption("enrolled");
    await page.getByText("No sighting matches these filters.").waitFor();
    await page.locator("input[name=end]").fill("16:00");
    await expect.poll(() => page.locator(".sighting").count()).toBe(1);
    expect(await page.locator(".sighting .who").textContent()).toContain("Amy");
  });

  it("searches a group photo: numbered boxes on the photo, each face's own thumbnail beside its matches", async () => {
    await page.goto(`${h.server.url}/search`);
    await page.locator('[data-testid="dropzone"] input[type=file]').setInputFiles(GROUP);
    const results = page.locator('[data-testid="photo-results"]');
    await results.waitFor();
    const api = (await h.admin("POST", "/api/v1/search", imageForm({ image: GROUP }))).body;
    const n = api.faces.length;
    expect(n).toBe(6);
    expect(await page.locator("rect[data-face-box]").count()).toBe(n);
    expect(await page.locator("[data-face-num]").count()).toBe(n);
    expect(await results.locator(".face-result").count()).toBe(n);
    // each face's thumbnail is drawn from the photo (not blank)
    for (let i = 1; i <= n; i++) {
      const canvas = results.locator(`.face-result[data-face="${i}"] canvas`);
      await expect.poll(() => canvas.getAttribute("data-drawn")).toBe("1");
      // the spread of the red channel: a blank or failed drawing is flat
      const spread = await canvas.evaluate((c: Canvas) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let min = 255;
        let max = 0;
        for (let k = 0; k < d.length; k += 4) {
          min = Math.min(min, d[k]);
          max = Math.max(max, d[k]);
        }
        return max - min;
      });
      expect(spread).toBeGreaterThan(40);
    }
    // Penny's and Amy's results sit beside the faces that are theirs: the numbered box is on the face
    // the server matched to them (boxes in the photo's pixels).
    for (const who of [penny, amy]) {
      const face = api.faces.find((f: Json) => f.candidates[0]?.person.id === who.id);
      expect(face, `the server finds ${who.name} in the group photo`).toBeTruthy();
      const section = results.locator(".face-result").filter({ has: page.locator(`li[data-person="${who.id}"]`) });
      const num = await section.first().getAttribute("data-face");
      const rect = page.locator(`rect[data-face-box="${num}"]`);
      const [x, y] = [Number(await rect.getAttribute("x")), Number(await rect.getAttribute("y"))];
      expect(Math.abs(x - face.box[0])).toBeLessThan(2);
      expect(Math.abs(y - face.box[1])).toBeLessThan(2);
    }
    await h.shot(page, "search-group");
  });

  it("ran these pages under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
