/**
 * Admin → Integrations end to end (real server, real MQTT, headless Chromium): an integration account
 * made on the page (login shown once, with its client id), used at once by a real subscriber that
 * receives a sighting and may not read what its scopes leave out; shown connected; a new password
 * closes its connection; removal. Accessibility (axe-core) and the strict CSP on the way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_DATA, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { Subscriber } from "../../server/test/subscriber.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { axeAudit, type Harness, serious, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("console: integration accounts (Chromium)", () => {
  let h: Harness;
  let admin: Page;
  const open: Subscriber[] = [];

  beforeAll(async () => {
    h = await startConsole(["sheldon1"]);
    admin = await h.signedIn("alice");
  });

  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    await h?.close();
  });

  it("creates an account whose login works at once, shows it connected, rotates its password and removes it", async () => {
    const page = admin;
    await page.goto(`${h.server.url}/admin/integrations`);
    await page.getByRole("heading", { name: "Administration: Integrations" }).waitFor();
    await page.getByText("No integration account yet.").waitFor();
    await page.getByLabel("Name (MQTT user)").fill("homeassistant");
    await page.getByLabel("Description").fill("Home Assistant in the hall");
    await page.getByRole("checkbox", { name: "Status" }).uncheck();
    await page.getByRole("button", { name: "Create account" }).click();
    const once = page.locator('[data-testid="shown-once"]');
    await once.waitFor();
    const secret = async (label: string) => (await once.locator(`[data-secret="${label}"]`).textContent())!;
    const login = {
      url: await secret("MQTT URL"),
      username: await secret("User name"),
      password: await secret("Password"),
      clientId: await secret("Client id"),
    };
    expect(login).toMatchObject({
      url: h.server.mqttUrl,
      username: "homeassistant",
      clientId: "argus-integration-homeassistant",
    });
    expect(await once.textContent()).toMatch(/argus\/v1\/sightings/);
    await h.shot(page, "admin-integrations-created");

    // The login works: sightings arrive; the agents' status topics were left out.
    const sub = await Subscriber.connect(login.url, login);
    open.push(sub);
    expect(await sub.subscribe("argus/v1/sightings", "argus/v1/agents/+/status")).toEqual([1, 128]);
    await h.send(h.faces.sheldon1, "gate");
    const sighting = JSON.parse((await sub.next((m) => m.topic === "argus/v1/sightings", "a sighting")).payload);
    expect(sighting).toMatchObject({ cameraId: "gate", faceUrl: `/api/v1/sightings/${sighting.id}/face` });

    await once.getByRole("button", { name: "I have saved it" }).click();
    await once.waitFor({ state: "detached" });
    const row = page.locator('tr[data-integration="homeassistant"]');
    await page.reload();
    await row.getByText("connected").waitFor();
    expect(await row.textContent()).toMatch(/Home Assistant in the hall/);
    expect(await row.textContent()).toMatch(/Alerts, Sightings, Home Assistant/);
    await h.shot(page, "admin-integrations");
    // axe-core needs its script on the page: a context without the CSP.
    const audit = await h.signedIn("alice", { audit: true });
    await audit.goto(`${h.server.url}/admin/integrations`);
    await audit.locator('tr[data-integration="homeassistant"]').waitFor();
    expect(serious(await axeAudit(audit))).toEqual([]);

    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "New password" }).click();
    await once.waitFor();
    expect(await secret("Password")).not.toBe(login.password);
    await waitFor(async () => sub.closed > 0, "the old connection closed");
    await once.getByRole("button", { name: "I have saved it" }).click();

    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
    expect((await h.admin("GET", "/api/v1/integrations")).body.items).toEqual([]);
  });

  it("is for admins only", async () => {
    const viewer = await h.signedIn("vera");
    await viewer.goto(`${h.server.url}/admin/integrations`);
    expect(await viewer.locator("input[name=integration-name]").count()).toBe(0);
  });

  it("ran under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
