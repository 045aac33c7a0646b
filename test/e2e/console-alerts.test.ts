/**
 * Alerts in the console end to end (real server, real face events, headless Chromium): foe alerts
 * first and unlike the others, ordered by the time shown, repeats grouped with a count, similarity as
 * a labelled bar, acknowledging a selection at once, and the optional sound and desktop notification.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, type Harness, MIN, startConsole } from "./console-harness.ts";

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

  it("ran these pages under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
