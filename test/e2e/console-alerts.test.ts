/**
 * Alerts in the console end to end (real server, real face events, headless Chromium): foe alerts
 * first and unlike the others, ordered by the time shown, repeats grouped with a count, similarity as
 * a labelled bar with the match's grade, acknowledging a selection at once with a note, muting a
 * camera (a grouped alert raised while muted is collapsed, then bulk-acknowledged with a note), the
 * Sightings grade filter, Admin → Settings, the optional sound and desktop notification; axe-core on
 * the triage pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, axeAudit, type Harness, MIN, serious, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("console: alerts (Chromium)", () => {
  let h: Harness;
  let page: Page;
  let penny: Json;
  const alerts = async () => (await h.admin("GET", "/api/v1/alerts?limit=100")).body.items as Json[];

  beforeAll(async () => {
    h = await startConsole(["penny2", "penny3", "amy1", "sheldon1"]);
    penny = (await h.admin("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    await h.admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
    // Unknown persons at the lobby raise alerts too.
    await h.sendStored(h.faces.sheldon1, "lobby", { at: Date.now() - 60 * MIN });
    expect((await h.admin("PATCH", `/api/v1/cameras/${AGENT}/lobby`, { sensitive: true })).status).toBe(200);
    const now = Date.now();
    // Penny lingers at the gate (three tracks within three minutes), then passes the lobby.
    for (const m of [14, 13, 12]) await h.send(h.faces.penny2, "gate", { at: now - m * MIN });
    await h.send(h.faces.penny3, "lobby", { at: now - 8 * MIN });
    // Amy (never seen: unknown) at the lobby, between Penny's visits; Sheldon (unknown) at the lobby last.
    await h.send(h.faces.amy1, "lobby", { at: now - 10 * MIN });
    await h.send(h.faces.sheldon1, "lobby", { at: now - 2 * MIN });
    await waitFor(async () => (await alerts()).length === 6, "6 alerts raised");
    page = await h.signedIn("oscar");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("lists open foe alerts first and unlike the others, by the time shown, with repeats grouped", async () => {
    await page.locator(".top nav").getByRole("link", { name: "Alerts" }).click();
    const foe = page.getByRole("region", { name: "Open foe alerts" });
    await foe.locator(".alert-row").first().waitFor();
    expect(await foe.getByRole("heading").textContent()).toBe("Open foe alerts (4)");
    const foeRows = foe.locator(".alert-row");
    expect(await foeRows.count()).toBe(2);
    // Penny at the lobby (8 min ago) comes before her three gate alerts (12-14 min ago), grouped as one row
    expect(await foeRows.nth(0).textContent()).toMatch(/FOE[\s\S]*Penny[\s\S]*lobby/);
    expect(await foeRows.nth(1).getAttribute("data-count")).toBe("3");
    expect(await foeRows.nth(1).locator(".count").textContent()).toBe("×3");
    expect(
      await foeRows
        .nth(1)
        .getByRole("button", { name: /^Acknowledge/ })
        .textContent(),
    ).toBe("Acknowledge 3");
    const rest = page.getByRole("region", { name: "Alert history" }).locator(".alert-row");
    expect(await rest.count()).toBe(2); // Sheldon, then Amy: two unknown persons, not grouped
    for (const row of await rest.all()) {
      expect(await row.getAttribute("class")).toContain("alert-unknown");
      expect(await row.locator(".alert-kind").textContent()).toContain("Unknown at a sensitive camera");
    }
    const shown = await rest
      .locator(".alert-where time")
      .evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
    expect(shown).toEqual([...shown].sort().reverse());
    // The foe rows are marked with the FOE label and its icon, in red; similarity is a labelled bar, not a bare percentage
    expect(await foeRows.nth(0).locator(".alert-kind.kind-foe svg").count()).toBe(1);
    expect(await foeRows.nth(0).locator(".sim .sim-text").textContent()).toMatch(/^similarity 0\.\d\d$/);
    expect(await foeRows.nth(0).locator(".sim-bar").count()).toBe(1);
    expect((await page.locator(".alert-rows").allTextContents()).join(" ")).not.toMatch(/\d%/);
    // ... and each row says how sure the match is, from the server's grade, next to the similarity
    const stored = await alerts();
    for (const row of await foeRows.all()) {
      const id = await row.getAttribute("data-alert");
      const a = stored.find((x) => x.id === id);
      const grade = row.locator(".sim .grade");
      expect(await grade.count()).toBe(1);
      expect(a?.grade).toMatch(/^(strong|likely|possible)$/);
      expect(await grade.getAttribute("data-grade")).toBe(a?.grade);
      expect(await grade.textContent()).toBe(a?.grade);
    }
    await h.shot(page, "alerts-grouped");
  });

  it("acknowledges a selection at once", async () => {
    const foe = page.getByRole("region", { name: "Open foe alerts" });
    await foe.locator(".alert-row").nth(1).getByRole("checkbox").check();
    const rest = page.getByRole("region", { name: "Alert history" });
    await rest.locator(".alert-row").first().getByRole("checkbox").check();
    await page.getByRole("button", { name: "Acknowledge selected (2)" }).click();
    // the gate group (3 alerts) and Sheldon's alert are acknowledged; Penny at the lobby stays open
    await expect.poll(async () => (await alerts()).filter((a) => a.ackedAt).length).toBe(4);
    const open = (await alerts()).filter((a) => !a.ackedAt);
    expect(open.map((a) => a.cameraId).sort()).toEqual(["lobby", "lobby"]);
    expect((await alerts()).filter((a) => a.ackedAt).every((a) => a.ackedBy === "session:oscar")).toBe(true);
    await foe.getByRole("heading").getByText("Open foe alerts (1)").waitFor();
    await page
      .getByText(/acknowledged by oscar/)
      .first()
      .waitFor();
    // a viewer sees no selection and no acknowledge button
    const viewer = await h.signedIn("vera");
    await viewer.goto(`${h.server.url}/alerts`);
    await viewer.locator(".alert-row").first().waitFor();
    expect(await viewer.locator(".alert-row input[type=checkbox]").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: /Acknowledge/ }).count()).toBe(0);
  });

  it("shows foe alerts first on Live too", async () => {
    await page.locator(".top nav").getByRole("link", { name: "Live" }).click();
    const strip = page.locator(".alert-strip .alert-row");
    await strip.first().waitFor();
    expect(await strip.count()).toBe(2);
    expect(await strip.nth(0).getAttribute("class")).toContain("alert-foe");
    expect(await strip.nth(1).getAttribute("class")).toContain("alert-unknown");
  });

  it("plays a sound and shows a desktop notification for a new foe alert, when switched on (off by default)", async () => {
    await page.context().grantPermissions(["notifications"], { origin: h.server.url });
    await page.locator(".top nav").getByRole("link", { name: "Alerts" }).click();
    const sound = page.getByRole("checkbox", { name: "play a sound" });
    const desktop = page.getByRole("checkbox", { name: "show a desktop notification" });
    expect(await sound.isChecked()).toBe(false);
    expect(await desktop.isChecked()).toBe(false);
    await sound.check();
    await desktop.check();
    expect(JSON.parse((await page.evaluate("localStorage.getItem('argus.foeAlerts')")) as string)).toEqual({
      sound: true,
      desktop: true,
    });
    // kept across a reload; the first click on the page allows the sound again
    await page.reload();
    await page.locator("[data-stream=live]").waitFor();
    expect(await page.getByRole("checkbox", { name: "play a sound" }).isChecked()).toBe(true);
    await page.getByRole("heading", { name: "Alerts", exact: true }).click();
    await h.send(h.faces.penny2, "gate");
    const last = page.locator('[data-testid="last-announced"]');
    await last.waitFor();
    expect(await last.textContent()).toMatch(/Last announced: Penny at .*\(sound\).*\(notification\)/);
  });

  it("a grouped, muted and bulk-acknowledged alert: mute the lobby, alerts there collapse unannounced, acknowledge them with a note", async () => {
    const op = await h.signedIn("oscar", { audit: true });
    await op.goto(`${h.server.url}/alerts`);
    await op.locator(".alert-row").first().waitFor();
    // Mute the lobby for an hour from Amy's row ("Mute…" fills in its camera).
    // Amy's is the one open unknown-person alert in the history (Sheldon's was acknowledged above).
    const amyRow = op.locator('section[aria-label="Alert history"] .alert-row.alert-unknown.is-open');
    expect(await amyRow.count()).toBe(1);
    const amy = (await alerts()).find((a) => a.type === "unknown_at_sensitive_camera" && !a.ackedAt)!;
    expect(amy.cameraId).toBe("lobby");
    await amyRow
      .first()
      .getByRole("button", { name: /^Mute…/ })
      .click();
    const form = op.getByRole("form", { name: "New mute" });
    expect(await form.locator("select[name=mute-camera]").inputValue()).toBe(`${AGENT}/lobby`);
    await form.locator("select[name=minutes]").selectOption("60");
    await form.getByLabel("Reason", { exact: true }).fill("cleaning crew tonight");
    await form.getByRole("button", { name: "Mute", exact: true }).click();
    const mutes = op.locator(".mute-list li");
    await mutes.first().waitFor();
    expect(await mutes.first().textContent()).toMatch(
      /lobby[\s\S]*foe alerts still announced[\s\S]*cleaning crew tonight[\s\S]*oscar/,
    );
    const [mute] = (await h.admin("GET", "/api/v1/mutes")).body.items;
    expect(mute).toMatchObject({ camera: `${AGENT}/lobby`, includeFoe: false, createdBy: "session:oscar" });

    // Sheldon (an automatic person by now) passes the lobby twice within two minutes: two alerts, one row, muted.
    const before = (await alerts()).length;
    const now = Date.now();
    await h.send(h.faces.sheldon1, "lobby", { at: now - 40 * MIN });
    await h.send(h.faces.sheldon1, "lobby", { at: now - 38 * MIN });
    await waitFor(async () => (await alerts()).length === before + 2, "2 more alerts");
    const muted = (await alerts()).filter((a) => a.muted);
    expect(muted).toHaveLength(2);
    expect(muted.every((a) => a.mutedBy === mute.id && a.personId === muted[0].personId && !a.ackedAt)).toBe(true);
    const section = op.locator("details.muted-alerts");
    await section.waitFor();
    expect(await section.locator("summary").textContent()).toMatch(/^Muted alerts \(2\)/);
    expect(await section.getAttribute("open")).toBeNull(); // collapsed
    await section.locator("summary").click();
    const mutedRow = section.locator(".alert-row");
    expect(await mutedRow.count()).toBe(1);
    expect(await mutedRow.getAttribute("data-count")).toBe("2");
    expect(await mutedRow.locator(".muted-badge").textContent()).toBe("muted");
    // Bulk acknowledge: the muted group and Amy's open row, with a note.
    await mutedRow.getByRole("checkbox").check();
    await amyRow.first().getByRole("checkbox").check();
    await op.getByLabel("Note", { exact: true }).fill("Cleaning crew, checked on the lobby camera");
    await op.getByRole("button", { name: "Acknowledge selected (2)" }).click();
    await expect.poll(async () => (await alerts()).filter((a) => a.ackNote).length).toBe(3);
    const noted = (await alerts()).filter((a) => a.ackNote);
    expect(
      noted.every((a) => a.ackNote === "Cleaning crew, checked on the lobby camera" && a.ackedBy === "session:oscar"),
    ).toBe(true);
    expect(noted.map((a) => a.id).sort()).toEqual([...muted.map((a) => a.id), amy.id].sort());
    await op.locator(".ack-note", { hasText: "Cleaning crew, checked on the lobby camera" }).first().waitFor();
    const audit = (await h.admin("GET", "/api/v1/audit?action=alert.ack&limit=100")).body.items as Json[];
    for (const a of noted)
      expect(audit.find((e) => e.targetId === a.id)).toMatchObject({
        actor: { name: "oscar" },
        after: { ackNote: "Cleaning crew, checked on the lobby camera" },
      });
    await h.shot(op, "alerts-muted-acknowledged");
    expect(serious(await axeAudit(op))).toEqual([]);

    // Unmute: the list empties, and the lobby's alerts are announced again.
    await op.getByRole("button", { name: /^Unmute/ }).click();
    await op.getByText("No camera or person is muted.").waitFor();
    expect((await h.admin("GET", "/api/v1/mutes")).body.items).toEqual([]);
  });

  it("filters sightings by grade, and shows each sighting's grade", async () => {
    const op = await h.signedIn("oscar", { audit: true });
    await op.goto(`${h.server.url}/sightings`);
    await op.locator(".sighting").first().waitFor();
    const graded = (await h.admin("GET", "/api/v1/sightings?limit=200")).body.items.filter((x: Json) => x.grade);
    expect(graded.length).toBeGreaterThan(0);
    const grade = graded[0].grade as string;
    await op.locator("select[name=grade]").selectOption(grade);
    await expect.poll(() => new URL(op.url()).searchParams.get("grade")).toBe(grade);
    const want = (await h.admin("GET", `/api/v1/sightings?grade=${grade}&limit=200`)).body.items as Json[];
    await expect.poll(() => op.locator(".sighting").count()).toBe(want.length);
    expect(await op.locator(".sighting .grade").evaluateAll((g) => g.map((x) => x.getAttribute("data-grade")))).toEqual(
      want.map(() => grade),
    );
    expect(serious(await axeAudit(op))).toEqual([]);
  });

  it("shows the server's settings to an admin, read-only", async () => {
    const admin = await h.signedIn("alice", { audit: true });
    await admin.goto(`${h.server.url}/admin/settings`);
    await admin.locator("table.settings-table").first().waitFor();
    expect(await admin.locator('[data-setting="alerts.cooldownSeconds"] td').textContent()).toBe("60");
    expect(await admin.getByTestId("settings-store").textContent()).toBe("SQLite");
    expect(await admin.locator("input, select, textarea, form").count()).toBe(0);
    await h.shot(admin, "admin-settings");
    expect(serious(await axeAudit(admin))).toEqual([]);
  });

  it("ran these pages under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
