/**
 * Persons made and removed in the console, and the admin pages, end to end (real server, real MQTT,
 * a real webhook receiver, headless Chromium): New person with photos (a refused photo shows the
 * server's reason), deleting a person, agents (credentials shown once, rotation, removal), API tokens,
 * webhooks with their delivery log, dead letters; viewers and operators see nothing of the admin pages.
 */
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentClient,
  bbt,
  DATA_DIR,
  HAVE_DATA,
  imageForm,
  type Json,
  NO_DATA_MESSAGE,
  waitFor,
} from "../../server/test/helpers.ts";
import { topics } from "../../shared/src/events/topics.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, type Harness, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("console: new and deleted persons, admin pages (Chromium)", () => {
  let h: Harness;
  let operator: Page;
  let admin: Page;
  let receiver: Server;
  let receiverUrl: string;
  const received: string[] = [];

  beforeAll(async () => {
    h = await startConsole(["penny2"]);
    const penny = (await h.admin("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    await h.admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }));
    // A webhook receiver that takes every delivery.
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const a = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/argus`;
    operator = await h.signedIn("oscar");
    admin = await h.signedIn("alice");
  });

  afterAll(async () => {
    await h?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it("creates a person with photos: each photo's outcome, a refused one with the server's reason", async () => {
    const page = operator;
    await page.locator(".top nav").getByRole("link", { name: "Search" }).click();
    await page.getByRole("link", { name: "+ New person" }).click();
    await page.getByLabel("Name").fill("Howard Wolowitz");
    await page.getByLabel("List").selectOption("friend");
    await page
      .getByLabel("Photos (each with exactly one clear face)")
      .setInputFiles([bbt("howard1"), bbt("howard2"), join(DATA_DIR, "groups/bbt1.jpg")]);
    expect(await page.locator(".chosen").count()).toBe(3);
    await page.getByRole("button", { name: "Create and enrol 3 photos" }).click();
    const result = page.locator('[data-testid="new-person-result"]');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Howard Wolowitz was created with 2 photos; 1 photo refused/);
    expect(await page.locator('.chosen[data-photo="howard1.png"] .outcome').textContent()).toMatch(/^enrolled/);
    expect(await page.locator('.chosen[data-photo="bbt1.jpg"] .outcome').textContent()).toMatch(
      /^refused: .*(faces found|exactly one face)/,
    );
    await h.shot(page, "new-person");
    const made = (await h.admin("GET", "/api/v1/persons?q=Howard")).body.items[0];
    expect(made).toMatchObject({ name: "Howard Wolowitz", kind: "enrolled", list: "friend" });
    const faces = (await h.admin("GET", `/api/v1/persons/${made.id}/faces`)).body.items;
    expect(faces.filter((f: Json) => f.source === "enrol")).toHaveLength(2);

    // Replace the refused photo by a good one and send again: only that one goes.
    await page.getByRole("button", { name: "Remove bbt1.jpg" }).click();
    await page.getByLabel("Photos (each with exactly one clear face)").setInputFiles(bbt("howard3"));
    await page.getByRole("button", { name: "Enrol the remaining photos" }).click();
    await page
      .locator('.chosen[data-photo="howard3.png"] .outcome')
      .getByText(/^enrolled/)
      .waitFor();
    await expect.poll(async () => (await h.admin("GET", `/api/v1/persons/${made.id}/faces`)).body.items.length).toBe(3);
    await page.getByRole("link", { name: "Open Howard Wolowitz" }).click();
    await page.getByRole("heading", { name: "Howard Wolowitz", exact: true }).waitFor();
  });

  it("renames with a visible labelled field, and deletes a person after confirmation", async () => {
    const page = operator;
    const field = page.getByLabel("Name", { exact: true });
    expect(await field.isVisible()).toBe(true);
    expect((await field.boundingBox())!.width).toBeGreaterThan(150);
    const rename = page.getByRole("button", { name: "Rename" });
    expect(await rename.isEnabled()).toBe(true);
    await field.fill("Howard J. Wolowitz");
    await rename.click();
    await page.getByRole("heading", { name: "Howard J. Wolowitz", exact: true }).waitFor();
    await page.getByText("Renamed to “Howard J. Wolowitz”.").waitFor();
    const id = (await page.locator("[data-person]").first().getAttribute("data-person"))!;

    // Cancelling the confirmation keeps the person.
    page.once("dialog", (d) => void d.dismiss());
    await page.getByRole("button", { name: "Delete person…" }).click();
    expect((await h.admin("GET", `/api/v1/persons/${id}`)).status).toBe(200);
    let question = "";
    page.once("dialog", (d) => {
      question = d.message();
      void d.accept();
    });
    await page.getByRole("button", { name: "Delete person…" }).click();
    await page.waitForURL(/\/search\?deleted=/);
    await page.getByText("Deleted Howard J. Wolowitz with their photos, sightings and alerts.").waitFor();
    expect(question).toMatch(/Delete Howard J\. Wolowitz with 0 sightings.*cannot be undone/);
    expect((await h.admin("GET", `/api/v1/persons/${id}`)).status).toBe(404);
  });

  it("shows the admin pages to admins only", async () => {
    expect(await operator.locator(".top nav").getByRole("link", { name: "Admin" }).count()).toBe(0);
    await operator.goto(`${h.server.url}/admin/tokens`);
    await operator.getByText("Only admins see the administration pages.").waitFor();
    expect(await operator.locator("input[name=token-name]").count()).toBe(0);
    await admin.locator(".top nav").getByRole("link", { name: "Admin" }).click();
    await admin.getByRole("heading", { name: "Administration: Users" }).waitFor();
  });

  it("registers an agent (credentials shown once, with copy buttons), rotates its credentials and removes it", async () => {
    const page = admin;
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: h.server.url });
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Agents" }).click();
    await page.locator(`tr[data-agent="${AGENT}"]`).waitFor();
    await page.getByLabel("Agent id").fill("site-b");
    await page.getByRole("button", { name: "Register agent" }).click();
    const once = page.locator('[data-testid="shown-once"]');
    await once.waitFor();
    const user = (await once.locator('[data-secret="User name"]').textContent())!;
    const password = (await once.locator('[data-secret="Password"]').textContent())!;
    const url = (await once.locator('[data-secret="MQTT URL"]').textContent())!;
    expect(password.length).toBeGreaterThan(16);
    await once.getByRole("button", { name: "Copy Password" }).click();
    await once.getByText("copied").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(password);
    await h.shot(page, "admin-agents");
    // the credentials work: the new agent connects to the broker
    const c = await agentClient(url, user, password, "site-b-test");
    await new Promise<void>((r) => c.end(true, {}, () => r()));
    await once.getByRole("button", { name: "I have saved it" }).click();
    await once.waitFor({ state: "detached" });

    const row = page.locator('tr[data-agent="site-b"]');
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "New credentials" }).click();
    await once.waitFor();
    expect(await once.locator('[data-secret="Password"]').textContent()).not.toBe(password);
    await once.getByRole("button", { name: "I have saved it" }).click();
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
    const agents = (await h.admin("GET", "/api/v1/agents")).body.items.map((a: Json) => a.id);
    expect(agents).not.toContain("site-b");
  });

  it("creates an API token (shown once) that works, and revokes it", async () => {
    const page = admin;
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "API tokens" }).click();
    await page.getByLabel("Token name").fill("wall screen");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.locator('[data-secret="Token"]').textContent())!;
    const me = await fetch(`${h.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ kind: "token", name: "wall screen", role: "viewer" });
    await h.shot(page, "admin-tokens");
    await page.getByRole("button", { name: "I have saved it" }).click();
    const row = page.locator('tr[data-token="wall screen"]');
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByText(/^revoked/).waitFor();
    const after = await fetch(`${h.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it("adds a webhook and shows its delivery log; removes it", async () => {
    const page = admin;
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByLabel("URL").fill(receiverUrl);
    await page.getByRole("checkbox", { name: "foe" }).check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    expect((await page.locator('[data-secret="Secret"]').textContent())!.length).toBeGreaterThanOrEqual(16);
    await page.getByRole("button", { name: "I have saved it" }).click();
    const hook = page.locator(`li[data-webhook="${receiverUrl}"]`);
    await hook.getByText("foe · enabled").waitFor();
    // Penny (a foe) at the gate: an alert, delivered to the receiver
    await h.send(h.faces.penny2, "gate");
    await waitFor(async () => received.length > 0, "the webhook delivery");
    await hook.getByRole("button", { name: "Deliveries" }).click();
    await expect
      .poll(async () => {
        await hook.getByRole("button", { name: "Refresh" }).click();
        return hook.locator('tr[data-delivery="delivered"]').count();
      })
      .toBe(1);
    expect(await hook.locator('tr[data-delivery="delivered"]').textContent()).toMatch(/delivered\s*1/);
    await h.shot(page, "admin-webhooks");
    page.once("dialog", (d) => void d.accept());
    await hook.getByRole("button", { name: "Remove" }).click();
    await hook.waitFor({ state: "detached" });
    expect((await h.admin("GET", "/api/v1/webhooks")).body.items).toHaveLength(0);
  });

  it("lists dead letters with paging", async () => {
    // 55 malformed face events from the agent: kept as dead letters
    for (let i = 0; i < 55; i++)
      await new Promise((r) => h.mqtt.publish(topics().faces(AGENT, "gate"), `not json ${i}`, { qos: 1 }, r));
    await waitFor(async () => (await h.admin("GET", "/api/v1/dead-letters")).body.total === 55, "55 dead letters");
    const page = admin;
    await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Dead letters" }).click();
    await page.locator('[data-testid="dead-letter-total"]').getByText("55 dead letters in all").waitFor();
    expect(await page.locator(".dead-letter").count()).toBe(50);
    expect(await page.locator(".dead-letter").first().textContent()).toMatch(/not JSON|not json/);
    await page.getByRole("button", { name: "Older dead letters" }).click();
    await expect.poll(() => page.locator(".dead-letter").count()).toBe(55);
    await h.shot(page, "admin-dead-letters");
  });

  it("ran these pages under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
