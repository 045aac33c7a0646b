/**
 * Identity corrections in the console, end to end (real server, real face events over MQTT, headless
 * Chromium): "Not this person…" in the sighting detail and a multi-select move on the person timeline
 * (the histories and the identification follow), a split, the visits view, Admin → Duplicates (a
 * rejected proposal stays rejected after another clustering run) and Admin → Audit log showing it all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { type Harness, MIN, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("console: identity corrections, duplicates, audit log (Chromium)", () => {
  let h: Harness;
  let operator: Page;
  let admin: Page;
  let sheldon: string;
  let penny: string;
  const t0 = Date.now() - 2 * 3_600_000;

  const sightingsOf = async (personId: string) =>
    (await h.admin("GET", `/api/v1/persons/${personId}/sightings?limit=100`)).body.items as Json[];
  const identifies = async (file: string) =>
    ((await h.admin("POST", "/api/v1/identify", imageForm({ image: bbt(file) }))).body.faces[0]?.candidates ?? []).map(
      (c: Json) => c.person.id,
    ) as string[];

  beforeAll(async () => {
    h = await startConsole(["sheldon1", "penny1", "leonard1"]);
    // Sheldon once at the gate; Penny four times (three within minutes at the gate: one visit).
    await h.sendStored(h.faces.sheldon1, "gate", { at: t0 });
    for (const [i, cam] of (["gate", "gate", "gate", "lobby"] as const).entries())
      await h.sendStored(h.faces.penny1, cam, { at: t0 + (10 + i) * MIN });
    await h.sendStored(h.faces.leonard1, "lobby", { at: t0 + 30 * MIN });
    const all = (await h.admin("GET", "/api/v1/sightings?limit=50")).body.items as Json[];
    sheldon = all.find((s) => s.capturedAt === new Date(t0).toISOString()).personId;
    penny = all.find((s) => s.capturedAt === new Date(t0 + 10 * MIN).toISOString()).personId;
    expect((await sightingsOf(penny)).length).toBe(4);
    operator = await h.signedIn("oscar");
    admin = await h.signedIn("alice");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("'Not this person…' in the sighting detail: the sighting leaves the person, and their face no longer identifies them", async () => {
    const page = operator;
    expect(await identifies("sheldon1")).toContain(sheldon);
    await page.goto(`${h.server.url}/persons/${sheldon}`);
    await page.locator(".tl-item .thumb-btn").first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Not this person…" }).click();
    await dialog.getByLabel("no one (unidentified)").check();
    await dialog.getByRole("button", { name: "Unlink (no one)" }).click();
    await dialog.getByText(/Unlinked: this sighting belongs to no one/).waitFor();
    await h.shot(page, "not-this-person");
    await page.keyboard.press("Escape");
    // The history and the identification follow at once.
    expect(await sightingsOf(sheldon)).toEqual([]);
    expect(await identifies("sheldon1")).not.toContain(sheldon);
    await page.reload();
    await page.getByText("This person has not been seen by a camera yet.").waitFor();
  });

  it("moves sightings selected on the timeline to another person, and splits one off as a new person", async () => {
    const page = operator;
    const leonard = (await h.admin("GET", "/api/v1/sightings?cameraId=lobby&limit=50")).body.items.find(
      (s: Json) => s.personId !== penny,
    ).personId as string;
    const pennys = await sightingsOf(penny);
    const lobby = pennys.find((s) => s.cameraId === "lobby");
    await page.goto(`${h.server.url}/persons/${penny}`);
    await page.locator(`.tl-item[data-sighting="${lobby.id}"] .tl-select`).check();
    const bar = page.locator('[data-testid="timeline-selection"]');
    await bar.getByText("1 sighting selected").waitFor();
    await bar.getByRole("button", { name: "Move…" }).click();
    await bar.getByLabel("Name of the person").fill("Unknown");
    await bar.getByRole("button", { name: "Find" }).click();
    await bar.locator(`.move-candidates [data-person="${leonard}"] button`).click();
    await bar.getByRole("button", { name: /^Move to Unknown #\d+$/ }).click();
    const notice = page.locator('[data-testid="timeline-notice"]');
    await notice.getByText(/^Moved to Unknown #\d+\.$/).waitFor();
    await page.locator(`.tl-item[data-sighting="${lobby.id}"]`).waitFor({ state: "detached" });
    expect((await sightingsOf(penny)).map((s) => s.id)).not.toContain(lobby.id);
    expect((await sightingsOf(leonard)).map((s) => s.id)).toContain(lobby.id);
    expect((await h.admin("GET", `/api/v1/persons/${penny}`)).body.sightingCount).toBe(3);

    // Split the newest gate sighting off as "Penny's twin".
    const newest = (await sightingsOf(penny))[0];
    await page.locator(`.tl-item[data-sighting="${newest.id}"] .tl-select`).check();
    await bar.getByRole("button", { name: "Split into a new person…" }).click();
    await bar.getByLabel("New person's name (optional)").fill("Penny's twin");
    await bar.getByRole("button", { name: "Split 1 sighting off" }).click();
    await notice.getByText("Split off as Penny's twin.").waitFor();
    await h.shot(page, "timeline-split");
    const twin = (await h.admin("GET", "/api/v1/persons?q=twin")).body.items[0];
    expect(twin).toMatchObject({ name: "Penny's twin", sightingCount: 1 });
    expect((await sightingsOf(penny)).length).toBe(2);
  });

  it("shows the timeline by visit: three shots at one camera within minutes are one entry", async () => {
    const page = operator;
    await page.goto(`${h.server.url}/persons/${penny}`);
    await page.getByLabel("by visit").check();
    const visits = page.locator(".tl-visit");
    await visits.first().waitFor();
    expect(await visits.count()).toBe(1);
    expect(await visits.first().getAttribute("data-count")).toBe("2");
    expect(await visits.first().textContent()).toMatch(/2 sightings/);
    await page.getByLabel("by sighting").check();
    await page.locator(".tl-item[data-sighting]").first().waitFor();
    expect(await page.locator(".tl-item[data-sighting]").count()).toBe(2);
    // Search the whole history with a sighting's face: its other sightings (the history index).
    await page.locator(".tl-item .thumb-btn").first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Search history with this face" }).click();
    const hits = dialog.locator('[data-testid="history-hits"] li');
    await hits.first().waitFor();
    // Penny's other gate sighting, the one moved to Leonard, the twin's: all the same face.
    expect(await hits.count()).toBeGreaterThanOrEqual(3);
    await page.keyboard.press("Escape");
  });

  it("Admin → Duplicates: finds the split-off twin; a rejected proposal stays rejected after another run", async () => {
    const page = admin;
    const twin = (await h.admin("GET", "/api/v1/persons?q=twin")).body.items[0];
    await page.goto(`${h.server.url}/admin/duplicates`);
    await page.getByRole("button", { name: "Find duplicates now" }).click();
    await page.locator('[data-job-status="done"]').waitFor({ timeout: 60_000 });
    // (The twin may also look like Leonard, who learned Penny's face from the sighting moved to him.)
    const row = page
      .locator(".dup-row", { has: page.locator(`[data-side-person="${twin.id}"]`) })
      .filter({ has: page.locator(`[data-side-person="${penny}"]`) });
    await row.waitFor();
    expect(await row.locator(".dup-score").textContent()).toMatch(/score 0\.\d\d|score 1\.00/);
    await h.shot(page, "admin-duplicates");
    const id = await row.getAttribute("data-proposal");
    await row.getByRole("button", { name: "Reject" }).click();
    await row.getByText("Rejected").waitFor();
    // Another run: the pair is not proposed again.
    await page.reload();
    await page.getByRole("button", { name: "Find duplicates now" }).click();
    await page.locator('[data-job-status="done"]').waitFor({ timeout: 60_000 });
    await page.locator(".admin-duplicates .dup-list, .admin-duplicates .state.empty").first().waitFor();
    expect(await page.locator(`.dup-row[data-proposal="${id}"]`).count()).toBe(0);
    expect(
      await page
        .locator(".dup-row", { has: page.locator(`[data-side-person="${twin.id}"]`) })
        .filter({ has: page.locator(`[data-side-person="${penny}"]`) })
        .count(),
    ).toBe(0);
    const rejected = (await h.admin("GET", "/api/v1/proposals?status=rejected")).body.items as Json[];
    expect(rejected.map((p) => p.id)).toEqual([id]);
    const jobs = (await h.admin("GET", "/api/v1/jobs")).body.items as Json[];
    expect(jobs.filter((j) => j.kind === "cluster" && j.status === "done").length).toBe(2);
  });

  it("Admin → Audit log shows the actions with who and what, filtered and paged", async () => {
    const page = admin;
    await page.goto(`${h.server.url}/admin/audit`);
    const rows = page.locator(".audit-row");
    await rows.first().waitFor();
    const actions = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")));
    for (const a of ["sighting.move", "person.split", "proposal.reject"]) expect(actions).toContain(a);
    expect(await page.locator('.audit-row[data-action="proposal.reject"]').first().textContent()).toMatch(/alice/);
    expect(await page.locator('.audit-row[data-action="person.split"]').first().textContent()).toMatch(/oscar/);
    await page.getByLabel("Action").selectOption("sighting.move");
    await page.getByRole("button", { name: "Apply" }).click();
    await waitFor(
      async () =>
        (await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))).every(
          (a) => a === "sighting.move",
        ),
      "the filtered audit log",
    );
    // Three moves: Sheldon's unlink, Penny's lobby sighting, the split's sighting.
    expect(await rows.count()).toBe(3);
    await rows.first().getByText("changes").click();
    expect(await rows.first().locator(".audit-diff").textContent()).toMatch(/personId/);
    await h.shot(page, "admin-audit");
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
