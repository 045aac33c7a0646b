/**
 * The security staff console end to end: a real server (SQLite, embedded MQTT broker), its built
 * web console, real face photos, and Debian's headless Chromium through playwright-core. Sightings
 * arrive as real face events over MQTT (shared schema, embeddings of real photos), published with an
 * agent's issued credentials (console-harness.ts). Screenshots of the pages go to test-artifacts/console/.
 * Sign-in, live sightings and alerts, search, a person's history, merging, roles, cameras, alerts, users.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bbt, DATA_DIR, HAVE_DATA, imageForm, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, type Harness, MIN, PASSWORD, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

describe.skipIf(!!unavailable)("security staff console (Chromium)", () => {
  let h: Harness;
  let operator: Page;
  let viewer: Page;
  let penny: Json;
  let sheldon: Json; // enrolled by hand, no photo yet: the merge target
  let unknownSheldon: Json; // the automatic person the cameras made of the same man
  let oldest: number; // capture time of the automatic person's first sighting

  beforeAll(async () => {
    h = await startConsole(["penny2", "sheldon1", "sheldon3", "amy1"]);
    const { admin, faces } = h;
    // Penny is on the foe list with an enrolled photo; "Sheldon Cooper" is enrolled without one.
    penny = (await admin("POST", "/api/v1/persons", { name: "Penny", list: "foe" })).body;
    expect((await admin("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny1") }))).status).toBe(
      201,
    );
    sheldon = (await admin("POST", "/api/v1/persons", { name: "Sheldon Cooper" })).body;

    // History: Sheldon seen 30 times over the last hours at two cameras (an automatic person), Amy once.
    const now = Date.now();
    oldest = now - 31 * 7 * MIN;
    for (let i = 0; i < 30; i++)
      await h.send(faces.sheldon1, i % 3 ? "lobby" : "gate", { at: now - (i + 2) * 7 * MIN });
    await h.send(faces.amy1, "gate", { at: now - 3 * MIN });
    await waitFor(async () => (await h.sightingCount()) === 31, "31 sightings stored");
    const auto = (await admin("GET", "/api/v1/persons?kind=auto&sort=sightings")).body.items;
    unknownSheldon = auto[0];
    expect(unknownSheldon).toMatchObject({ name: expect.stringMatching(/^Unknown #\d+$/), sightingCount: 30 });
    expect(unknownSheldon.faceUrl).toMatch(/^\/api\/v1\/faces\/\d+\/image$/);
    // The agent reports its cameras (retained status messages, as a real agent does).
    await h.cameraStatus("gate", "streaming");
    await h.cameraStatus("lobby", "reconnecting");
  });

  afterAll(async () => {
    await h?.close();
  });

  it("refuses a wrong password, then signs in", async () => {
    const page = await h.newPage();
    const ctx = page.context();
    await page.goto(`${h.server.url}/alerts`);
    await page.getByLabel("User name").fill("oscar");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("Wrong user name or password").waitFor();
    const cookies = await ctx.cookies();
    expect(cookies.find((c) => c.name === "argus_session")).toBeUndefined();

    operator = await h.signedIn("oscar");
    const cookie = (await operator.context().cookies()).find((c) => c.name === "argus_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // scripts on the page cannot read it
    expect(await operator.evaluate("document.cookie")).not.toContain("argus_session");
  });

  it("shows a sighting and a foe alert arriving live, and acknowledges the alert", async () => {
    const page = operator;
    await page.locator(".top nav").getByRole("link", { name: "Live" }).click();
    await page.locator(".sighting").first().waitFor();
    await page.locator('[data-stream="live"]').waitFor();
    expect(await page.locator(".alert-row").count()).toBe(0);
    // newest first by capture time, the time on the camera's line
    const times = await page
      .locator(".sighting .where time")
      .evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
    expect(times).toEqual([...times].sort().reverse());

    // Penny walks past the gate camera: a real face event over MQTT.
    await h.send(h.faces.penny2, "gate");
    const card = page.locator(".sighting.fresh.is-foe");
    await card.waitFor();
    expect(await card.locator(".who").textContent()).toMatch(/Penny.*foe/i);
    expect(await card.textContent()).toContain("gate");
    const alert = page.locator(".alert-row.alert-foe");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/FOE[\s\S]*Penny[\s\S]*similarity 0\.\d\d[\s\S]*gate/i);
    // a live card lands in capture-time order even though it arrived last
    expect(await page.locator(".sighting").first().getAttribute("data-sighting")).toBe(
      await card.getAttribute("data-sighting"),
    );
    // Unknown #N labels for automatic persons
    expect(
      await page
        .locator(".sighting")
        .filter({ hasText: /Unknown #\d+/ })
        .count(),
    ).toBeGreaterThan(0);
    await h.shot(page, "live");

    await alert.getByRole("button", { name: "Acknowledge" }).click();
    await page.locator(".alert-row").waitFor({ state: "detached" });
    const acked = (await h.admin("GET", "/api/v1/alerts?acked=true")).body.items;
    expect(acked).toHaveLength(1);
    expect(acked[0]).toMatchObject({ type: "foe", personId: penny.id, ackedBy: "session:oscar" });
  });

  it("searches by name and by photo (file input and drag and drop)", async () => {
    const page = operator;
    await page.locator(".top nav").getByRole("link", { name: "Search" }).click();
    await page.getByPlaceholder("Name, or part of it").fill("penn");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator(".person-list").getByRole("link", { name: "Penny" }).waitFor();

    // Choose a photo through the drop zone's file input: Sheldon, whom the cameras know as Unknown #N.
    await page.locator('[data-testid="dropzone"] input[type=file]').setInputFiles(bbt("sheldon2"));
    const results = page.locator('[data-testid="photo-results"]');
    await results.waitFor();
    const top = results.locator(".candidates li").first();
    expect(await top.locator(".cand-head").textContent()).toMatch(
      new RegExp(`${unknownSheldon.name}[\\s\\S]*match[\\s\\S]*similarity 0\\.\\d\\d`),
    );
    expect(await top.locator(".thumb").count()).toBeGreaterThan(0);

    // Drop a photo onto the zone, as a person dragging a file from their desktop.
    const b64 = readFileSync(bbt("penny3")).toString("base64");
    const dt = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "penny3.png", { type: "image/png" }));
      return dt;
    })()`);
    await page.dispatchEvent('[data-testid="dropzone"]', "drop", { dataTransfer: dt });
    await results.locator(".candidates li").first().getByRole("link", { name: "Penny" }).waitFor();
    expect(await page.locator(".dropzone").textContent()).toContain("penny3.png");
    await h.shot(page, "search");

    // A file that is not a photo gets a clear message.
    await page.locator('[data-testid="dropzone"] input[type=file]').setInputFiles({
      name: "notes.png",
      mimeType: "image/png",
      buffer: Buffer.from("this is not an image"),
    });
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/could not be read|not a JPEG|corrupt/i);
  });

  it("opens a person's history: timeline with camera filter, paging and CSV export", async () => {
    const page = operator;
    await page.goto(`${h.server.url}/persons/${unknownSheldon.id}`);
    await page.locator(".tl-item").first().waitFor();
    expect(await page.locator(".tl-item").count()).toBe(25);
    await page.getByRole("button", { name: "Load older sightings" }).click();
    await expect.poll(() => page.locator(".tl-item").count()).toBe(30);
    await page.getByText("End of the history (30 shown)").waitFor();
    expect(await page.locator(".faces .face").count()).toBeGreaterThan(0); // best sightings

    await page.locator(".timeline select[name=camera]").selectOption(`${AGENT}/gate`);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/camera=agent-e2e(%2F|\/)gate/);
    await expect.poll(() => page.locator(".tl-item").count()).toBe(10);
    expect((await page.locator(".tl-item").allTextContents()).every((t) => t.includes("camera gate"))).toBe(true);

    const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    expect(href).toContain("cameraId=agent-e2e%2Fgate");
    expect(href).toContain("tz=Europe%2FParis");
    const csv = await page.request.get(`${h.server.url}${href}`);
    expect(csv.status()).toBe(200);
    const rows = (await csv.text()).trim().split("\r\n");
    expect(rows).toHaveLength(11);
    expect(rows[1]).toContain(",gate,");
    await h.shot(page, "person");
  });

  it("reviews unknown persons and merges the duplicate into the enrolled person", async () => {
    const page = operator;
    await page.locator(".top nav").getByRole("link", { name: "Unknown persons" }).click();
    await page.getByRole("tab", { name: "Most seen first" }).click();
    await page.waitForURL(/sort=sightings/);
    const first = page.locator(".unknown-card").first();
    // (the newest-first list stays on screen until the most-seen one has loaded)
    await expect.poll(() => first.locator("strong").textContent()).toBe(unknownSheldon.name);
    expect(await first.textContent()).toContain("30 sightings");
    await h.shot(page, "unknown");

    await page.goto(`${h.server.url}/persons/${sheldon.id}`);
    await page.getByText("This person has not been seen by a camera yet.").waitFor();
    await page.locator(".merge input").fill(unknownSheldon.name);
    await page.locator(".merge").getByRole("button", { name: "Find" }).click();
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Merge into this person" }).click();
    await page.locator(".tl-item").first().waitFor();
    await page.getByText("30 sightings").waitFor();
    expect((await h.admin("GET", `/api/v1/persons/${unknownSheldon.id}`)).status).toBe(404);
    const merged = (await h.admin("GET", `/api/v1/persons/${sheldon.id}`)).body;
    expect(merged).toMatchObject({ sightingCount: 30, kind: "enrolled" });
    // Operators put him on a list.
    await page.locator("select[name=list]").selectOption("friend");
    await page.locator(".list-control .badge.friend").waitFor();
    expect((await h.admin("GET", `/api/v1/persons/${sheldon.id}`)).body.list).toBe("friend");
    await page.getByText("Sheldon Cooper is on the friend list.").waitFor();
    // "first seen" is his oldest sighting (hours before this record was made), not the record's creation
    const firstSeen = page.locator('[data-testid="first-seen"] time');
    await firstSeen.waitFor();
    expect(await firstSeen.getAttribute("datetime")).toBe(new Date(oldest).toISOString());
    // The unknowns page no longer lists him.
    await page.goto(`${h.server.url}/unknown?sort=sightings`);
    await page.locator(".unknown-card").first().waitFor();
    expect(await page.locator(".unknown-grid").textContent()).not.toContain(unknownSheldon.name);
  });

  it("lets an operator rename a person and add and remove photos", async () => {
    const page = operator;
    await page.goto(`${h.server.url}/persons/${sheldon.id}`);
    await page.locator(".tl-item").first().waitFor();
    await page.getByLabel("Name", { exact: true }).fill("Dr. Sheldon Cooper");
    await page.getByRole("button", { name: "Rename" }).click();
    await expect
      .poll(async () => (await h.admin("GET", `/api/v1/persons/${sheldon.id}`)).body.name)
      .toBe("Dr. Sheldon Cooper");

    const enrolled = page.locator(".photos .faces").first();
    expect(await enrolled.locator(".face").count()).toBe(0);
    await page.locator("input[name=enrol]").setInputFiles(bbt("sheldon3"));
    await enrolled.locator(".face").first().waitFor();
    const faces = (await h.admin("GET", `/api/v1/persons/${sheldon.id}/faces`)).body.items;
    expect(faces.filter((f: Json) => f.source === "enrol")).toHaveLength(1);
    // a photo without a face is refused with the server's reason
    await page.locator("input[name=enrol]").setInputFiles(join(DATA_DIR, "groups/bbt1.jpg"));
    const refused = page.locator(".person").getByRole("alert");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/bbt1\.jpg: refused: .*(faces found|exactly one face)/);

    page.once("dialog", (d) => void d.accept());
    await enrolled.locator(".face").first().getByRole("button", { name: "Remove" }).click();
    await enrolled.getByText("No enrolled photo.").waitFor();
    // the success replaces the earlier error: no stale error banner stays
    await page.getByText("Photo removed.").waitFor();
    expect(await page.locator(".person").getByRole("alert").count()).toBe(0);
    const after = (await h.admin("GET", `/api/v1/persons/${sheldon.id}/faces`)).body.items;
    expect(after.filter((f: Json) => f.source === "enrol")).toHaveLength(0);
  });

  it("lets a viewer look but not change lists: the page offers no control and the API refuses", async () => {
    viewer = await h.signedIn("vera");
    await viewer.goto(`${h.server.url}/persons/${penny.id}`);
    await viewer.locator('[data-testid="list-readonly"]').waitFor();
    expect(await viewer.locator('[data-testid="list-readonly"]').textContent()).toMatch(/foe/i);
    expect(await viewer.locator("select[name=list]").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Rename" }).count()).toBe(0);
    expect(await viewer.locator(".merge").count()).toBe(0);
    expect(await viewer.getByText("+ Add photos").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Delete person…" }).count()).toBe(0);
    await viewer.goto(`${h.server.url}/unknown`);
    await viewer.locator(".unknown-card").first().waitFor();
    expect(await viewer.locator(".card-actions").count()).toBe(0);
    expect(await viewer.locator(".top nav").getByRole("link", { name: "Admin" }).count()).toBe(0);
    await viewer.goto(`${h.server.url}/cameras`);
    await viewer.locator('tr[data-camera="gate"]').waitFor();
    expect(await viewer.locator("input[name=sensitive]").count()).toBe(0);

    // The same request the console would send, from the viewer's signed-in page: 403.
    const res = (await viewer.evaluate(`fetch("/api/v1/persons/${penny.id}", {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-argus-csrf": "1" },
      body: JSON.stringify({ list: null }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }))`)) as Json;
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    const merge = (await viewer.evaluate(`fetch("/api/v1/persons/${penny.id}/merge", {
      method: "POST",
      headers: { "content-type": "application/json", "x-argus-csrf": "1" },
      body: JSON.stringify({ from: "${sheldon.id}" }),
    }).then((r) => r.status)`)) as number;
    expect(merge).toBe(403);
    expect((await h.admin("GET", `/api/v1/persons/${penny.id}`)).body.list).toBe("foe");
  });

  it("shows cameras with status, last event and rate, and the alert history", async () => {
    const page = operator;
    // An event now, so that the gate camera's rate over the last minute is not zero however slow this run is.
    const before = await h.sightingCount();
    await h.send(h.faces.amy1, "gate");
    await waitFor(async () => (await h.sightingCount()) > before, "one more sighting");
    await page.locator(".top nav").getByRole("link", { name: "Cameras" }).click();
    const gate = page.locator('tr[data-camera="gate"]');
    await gate.waitFor();
    expect(await gate.locator(".status").textContent()).toBe("streaming");
    expect(await page.locator('tr[data-camera="lobby"] .status').textContent()).toBe("reconnecting");
    expect(Number(await gate.locator("td.num").first().textContent())).toBeGreaterThan(0); // events in the last minute
    await page.locator(`tr[data-agent="${AGENT}"]`).getByText("connected").waitFor();
    // Operators mark a camera sensitive (unknown persons there raise alerts); the server keeps it.
    await page.locator('tr[data-camera="lobby"] input[name=sensitive]').check();
    await waitFor(
      async () => (await h.admin("GET", "/api/v1/cameras")).body.cameras.find((c: Json) => c.id === "lobby").sensitive,
      "lobby marked sensitive",
    );
    await h.shot(page, "cameras");

    await page.locator(".top nav").getByRole("link", { name: "Alerts" }).click();
    const row = page.locator("li.alert-row").first();
    await row.waitFor();
    expect(await row.textContent()).toMatch(/FOE[\s\S]*Penny[\s\S]*gate[\s\S]*acknowledged by oscar/i);
    await page.locator("select[name=acked]").selectOption("false");
    await page.getByText("No alert matches these filters.").waitFor();
    await page.locator("select[name=acked]").selectOption("");
    await row.waitFor();
    await h.shot(page, "alerts");
  });

  it("lets an admin add and disable users (their open console returns to sign-in); signing out ends the session", async () => {
    const page = await h.signedIn("alice");
    await page.locator(".top nav").getByRole("link", { name: "Admin" }).click();
    await page.locator('tr[data-user="vera"]').waitFor();
    await page.locator("input[name=new-name]").fill("Walter");
    await page.locator("input[name=new-password]").fill(PASSWORD);
    await page.locator("select[name=new-role]").selectOption("operator");
    await page.getByRole("button", { name: "Add user" }).click();
    const walter = page.locator('tr[data-user="walter"]');
    await walter.waitFor();
    await walter.getByRole("button", { name: "Set password" }).click();
    await walter.getByLabel("New password for walter").fill("walter's new password");
    await walter.getByRole("button", { name: "Save" }).click();
    await walter.getByRole("button", { name: "Set password" }).waitFor();
    const signIn = await fetch(`${h.server.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-argus-csrf": "1" },
      body: JSON.stringify({ name: "walter", password: "walter's new password" }),
    });
    expect(signIn.status).toBe(200);
    await h.shot(page, "users");

    // Disabling vera ends her session at once: her open console (event stream) falls back to sign-in.
    await viewer.goto(`${h.server.url}/`);
    await viewer.locator('[data-stream="live"]').waitFor();
    await page.locator('tr[data-user="vera"]').getByRole("button", { name: "Disable" }).click();
    await page.locator('tr[data-user="vera"]').getByText("disabled").waitFor();
    await viewer.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 20_000 });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const stale = (await page.evaluate(`fetch("/api/v1/me").then((r) => r.status)`)) as number;
    expect(stale).toBe(401);
  });

  it("ran every page under the strict Content-Security-Policy without a violation", () => {
    expect(h.cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
