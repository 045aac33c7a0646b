/**
 * Every console page on a desktop and on a phone (390x844), end to end: axe-core finds no serious or
 * critical accessibility violation, the phone layout has no horizontal overflow and a one-row header
 * with a compact menu, Live keeps its sightings in view under the alerts strip, screenshots of each
 * page at both sizes; and the banner that says when the server cannot be reached.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { topics } from "../../shared/src/events/topics.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import {
  AGENT,
  type AxeViolation,
  axeAudit,
  DESKTOP,
  type Harness,
  horizontalOverflow,
  MIN,
  PHONE,
  SHOTS,
  serious,
  startConsole,
} from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

/** Waits until the page has rendered its data (no loading line left). */
async function settle(page: Page, ready?: string): Promise<void> {
  await page.locator("main").first().waitFor();
  if (ready) await page.locator(ready).first().waitFor();
  await expect.poll(() => page.locator(".state.loading").count()).toBe(0);
}

describe.skipIf(!!unavailable)("console on desktop and phone: accessibility and layout (Chromium)", () => {
  let h: Harness;
  let penny: Json;
  let sightingId: string;
  const pages: Array<{ name: string; path: string; ready?: string }> = [];
  const report: Record<string, AxeViolation[]> = {};

  beforeAll(async () => {
    h = await startConsole(["penny2", "sheldon1", "amy1"]);
    penny = (await h.admin("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    await h.admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
    const now = Date.now();
    for (let i = 0; i < 12; i++) await h.send(h.faces.sheldon1, i % 2 ? "lobby" : "gate", { at: now - (i + 3) * MIN });
    await h.send(h.faces.amy1, "a-camera-with-a-very-long-identifier-at-the-back-door", { at: now - 2 * MIN });
    for (const m of [1, 0]) await h.send(h.faces.penny2, "gate", { at: now - m * MIN, context: true });
    await waitFor(async () => (await h.sightingCount()) === 15, "15 sightings stored");
    await h.cameraStatus("gate", "streaming");
    await h.admin("PATCH", `/api/v1/cameras/${AGENT}/gate`, { name: "Main entrance gate" });
    await h.admin("POST", "/api/v1/tokens", { name: "wall screen", role: "viewer" });
    await h.admin("POST", "/api/v1/webhooks", { url: "http://127.0.0.1:9/argus", events: ["foe"] });
    await new Promise((r) => h.mqtt.publish(topics().faces(AGENT, "gate"), "{}", { qos: 1 }, r));
    const sheldon = (await h.admin("GET", "/api/v1/persons?kind=auto&sort=sightings")).body.items[0];
    sightingId = (await h.admin("GET", `/api/v1/sightings?personId=${penny.id}`)).body.items[0].id;
    pages.push(
      { name: "live", path: "/", ready: ".sighting" },
      { name: "sightings", path: "/sightings", ready: ".sighting" },
      { name: "search", path: "/search?q=Pen", ready: ".person-row" },
      { name: "unknown", path: "/unknown", ready: ".unknown-card" },
      { name: "alerts", path: "/alerts", ready: ".alert-row" },
      { name: "cameras", path: "/cameras", ready: "tr[data-camera]" },
      { name: "person", path: `/persons/${sheldon.id}`, ready: ".tl-item" },
      { name: "person-foe", path: `/persons/${penny.id}`, ready: ".tl-item" },
      { name: "new-person", path: "/persons/new" },
      { name: "bulk-enrol", path: "/persons/bulk" },
      { name: "sighting", path: `/sightings/${sightingId}`, ready: "rect.face-box" },
      { name: "account", path: "/account" },
      { name: "admin-users", path: "/admin/users", ready: "tr[data-user]" },
      { name: "admin-agents", path: "/admin/agents", ready: "tr[data-agent]" },
      { name: "admin-tokens", path: "/admin/tokens", ready: "tr[data-token]" },
      { name: "admin-webhooks", path: "/admin/webhooks", ready: "li.webhook" },
      { name: "admin-dead-letters", path: "/admin/dead-letters", ready: ".dead-letter" },
      { name: "admin-duplicates", path: "/admin/duplicates", ready: ".admin-duplicates .state" },
      { name: "admin-audit", path: "/admin/audit", ready: ".audit-row" },
      { name: "admin-settings", path: "/admin/settings", ready: "table.settings-table" },
      { name: "person-visits", path: `/persons/${penny.id}?view=visits`, ready: ".tl-visit" },
    );
  });

  afterAll(async () => {
    await h?.close();
  });

  for (const [size, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    it(`has no serious accessibility violation on any page (${size}), and fits a ${viewport.width} px screen`, async () => {
      const page = await h.signedIn("alice", { viewport, audit: true });
      // the sign-in page too
      const out = await h.newPage({ viewport, audit: true });
      await out.goto(h.server.url);
      await out.getByRole("button", { name: "Sign in" }).waitFor();
      report[`sign-in (${size})`] = await axeAudit(out);
      await h.shot(out, `sign-in-${size}`);
      expect(await horizontalOverflow(out)).toBeLessThanOrEqual(viewport.width);

      for (const p of pages) {
        await page.goto(`${h.server.url}${p.path}`);
        await settle(page, p.ready);
        report[`${p.name} (${size})`] = await axeAudit(page);
        await h.shot(page, `${p.name}-${size}`);
        expect(await horizontalOverflow(page), `${p.name} overflows`).toBeLessThanOrEqual(viewport.width);
        // the header is one row: its height does not grow with the number of links
        expect((await page.locator("header.top").boundingBox())!.height).toBeLessThan(64);
      }
      // the sighting dialog over Live
      await page.goto(h.server.url);
      await settle(page, ".sighting");
      await page.locator(".sighting .thumb-btn").first().click();
      await page.getByRole("dialog").locator(".sd-head h2").waitFor();
      await settle(page);
      report[`sighting dialog (${size})`] = await axeAudit(page);
      await h.shot(page, `sighting-dialog-${size}`);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(viewport.width);

      // every finding goes to the artifacts; serious and critical ones fail the test
      writeFileSync(join(SHOTS, "axe.json"), JSON.stringify(report, null, 2));
      const bad = Object.entries(report)
        .map(([k, v]) => [k, serious(v)] as const)
        .filter(([k, v]) => k.endsWith(`(${size})`) && v.length)
        .map(([k, v]) => `${k}: ${v.map((x) => `${x.id} (${x.impact}) ${JSON.stringify(x.nodes)}`).join("; ")}`);
      expect(bad).toEqual([]);
    });
  }

  it("on a phone: a compact menu, and Live keeps the sightings in view under a strip of alerts", async () => {
    const page = await h.signedIn("oscar", { viewport: PHONE });
    await settle(page, ".sighting");
    // the links are behind the Menu button
    const menu = page.getByRole("button", { name: "Menu" });
    expect(await menu.getAttribute("aria-expanded")).toBe("false");
    expect(await page.locator("#nav-list").getByRole("link", { name: "Alerts" }).isVisible()).toBe(false);
    await menu.click();
    expect(await menu.getAttribute("aria-expanded")).toBe("true");
    await h.shot(page, "menu-phone");
    await page.locator("#nav-list").getByRole("link", { name: "Alerts" }).click();
    await page.waitForURL(/\/alerts$/);
    expect(await menu.getAttribute("aria-expanded")).toBe("false");
    // Live: two open foe alerts (grouped into one row) in a strip; the first sightings still on the first screen
    await page.goto(h.server.url);
    await settle(page, ".alert-strip .alert-row");
    const strip = (await page.locator(".alert-strip").boundingBox())!;
    expect(strip.height).toBeLessThan(220);
    const firstCard = (await page.locator(".sighting").first().boundingBox())!;
    expect(firstCard.y + firstCard.height).toBeLessThan(PHONE.height);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(PHONE.width);
  });

  it("shows a prominent banner while the server cannot be reached, and removes it when it is back", async () => {
    const page = await h.signedIn("vera");
    await settle(page, ".sighting");
    await page.locator('[data-stream="live"]').waitFor();
    expect(await page.locator('[data-testid="outage"]').count()).toBe(0);
    // The server goes down: after a few seconds without the stream, the banner (not only the small dot).
    const outage = await h.stopServer();
    const banner = page.locator('[data-testid="outage"]');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.getAttribute("role")).toBe("alert");
    expect(await banner.textContent()).toMatch(/No connection to the server/);
    await h.shot(page, "outage");
    // It comes back (same address and data): the console reconnects by itself and the banner goes.
    await outage.back();
    await page.locator('[data-stream="live"]').waitFor({ timeout: 30_000 });
    await banner.waitFor({ state: "detached" });
    // still signed in (the session is in the server's database), and live again
    expect(await page.getByLabel("Password").count()).toBe(0);
    await h.send(h.faces.amy1, "gate");
    await page.locator(".sighting.fresh").waitFor();
  });

  it("ran the strict pages under the Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
