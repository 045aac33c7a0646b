/**
 * The Cameras page shows what each camera sees (headless Chromium, a real server): the agent's MQTT
 * login publishes real JPEG snapshots (a real photo, scaled as the agent does) on the camera's
 * retained snapshot topic; the page shows the picture, follows a newer one without a reload (the
 * stream's camera event), and says so where a camera has none. The camera's name comes from the
 * agent's camera file (its status) when no operator named it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downscaleRgb } from "../../agent/src/publish/snapshot.ts";
import { DATA_DIR, HAVE_DATA, type Json, NO_DATA_MESSAGE, waitFor } from "../../server/test/helpers.ts";
import { topics } from "../../shared/src/events/topics.ts";
import { decodeImage, encodeJpeg } from "../../shared/src/index.ts";
import { browserTestsUnavailable, type Page } from "../../web/test/browser.ts";
import { AGENT, type Harness, startConsole } from "./console-harness.ts";

const unavailable = !HAVE_DATA ? NO_DATA_MESSAGE : browserTestsUnavailable();
if (unavailable) console.log(`console e2e: ${unavailable}`);

/** A snapshot as the agent makes it: a real picture averaged down to `width`, JPEG quality 70. */
async function snapshotOf(file: string, width: number): Promise<Buffer> {
  const img = await decodeImage(readFileSync(join(DATA_DIR, file)));
  return encodeJpeg(downscaleRgb(img, width), 70);
}

describe.skipIf(!!unavailable)("console: camera snapshots on the Cameras page (Chromium)", () => {
  let h: Harness;
  let page: Page;
  const t = topics();

  const publish = (topic: string, payload: Buffer | string) =>
    new Promise<void>((res, rej) =>
      h.mqtt.publish(topic, payload, { qos: 1, retain: true }, (e) => (e ? rej(e) : res())),
    );
  const camera = async (id: string) =>
    (await h.admin("GET", "/api/v1/cameras")).body.cameras.find((c: Json) => c.key === `${AGENT}/${id}`);

  beforeAll(async () => {
    h = await startConsole([]);
    // Two cameras report in as an agent does: the lobby's file names it; the yard sends no snapshot.
    for (const [cam, name] of [
      ["lobby", "Lobby door"],
      ["yard", undefined],
    ] as const)
      await publish(
        t.cameraStatus(AGENT, cam),
        JSON.stringify({ agentId: AGENT, cameraId: cam, state: "streaming", at: new Date().toISOString(), name }),
      );
    await publish(t.cameraSnapshot(AGENT, "lobby"), await snapshotOf("groups/bbt1.jpg", 320));
    await waitFor(async () => (await camera("lobby"))?.snapshotAt, "the lobby's snapshot stored");
    page = await h.signedIn("vera"); // a viewer sees the pictures too
  });

  afterAll(async () => {
    await h?.close();
  });

  it("shows each camera's latest picture under the name from its config file, and follows a newer one live", async () => {
    await page.locator(".top nav").getByRole("link", { name: "Cameras" }).click();
    const row = page.locator(`tr[data-camera-key="${AGENT}/lobby"]`);
    await row.waitFor();
    expect(await row.locator(".camera-name").textContent()).toBe("Lobby door");
    const img = row.locator(".snapshot img");
    await expect.poll(() => img.evaluate((i: { naturalWidth: number }) => i.naturalWidth)).toBe(320);
    const first = await img.evaluate((i: { naturalHeight: number }) => i.naturalHeight);
    expect(await img.getAttribute("alt")).toBe("Latest view of camera Lobby door");
    const lobby = await camera("lobby");
    expect(await img.getAttribute("src")).toBe(lobby.snapshotUrl);
    expect(await row.locator(".snapshot").getAttribute("data-snapshot")).toBe(lobby.snapshotAt);
    // the yard has none yet (the server answers 404 for it): no request for a picture, a note instead
    expect((await h.admin("GET", `/api/v1/cameras/${AGENT}/yard/snapshot`)).status).toBe(404);
    expect(await page.locator(`tr[data-camera-key="${AGENT}/yard"] img`).count()).toBe(0);
    expect(await page.locator(`tr[data-camera-key="${AGENT}/yard"] [data-snapshot="none"]`).textContent()).toContain(
      "no picture yet",
    );
    await h.shot(page, "cameras-snapshots");

    // A newer picture (another shape): the page shows it without a reload, from the stream's camera event.
    // The server keeps at most one a second per camera (from when it stored the last): wait that out.
    const storedAt = Date.parse(lobby.snapshotAt);
    await waitFor(async () => Date.now() - storedAt > 1000, "the server's one-a-second snapshot bound");
    await publish(t.cameraSnapshot(AGENT, "lobby"), await snapshotOf("groups/bbt4.jpg", 320));
    await waitFor(async () => (await camera("lobby")).snapshotAt !== lobby.snapshotAt, "the new snapshot stored");
    const next = await camera("lobby");
    await expect.poll(() => img.getAttribute("src"), { timeout: 10_000 }).toBe(next.snapshotUrl);
    await expect
      .poll(() => img.evaluate((i: { naturalWidth: number; naturalHeight: number }) => i.naturalHeight))
      .not.toBe(first);
    expect(await img.evaluate((i: { naturalWidth: number }) => i.naturalWidth)).toBe(320);

    // A cleared snapshot: the picture goes (no broken image).
    await publish(t.cameraSnapshot(AGENT, "lobby"), Buffer.alloc(0));
    await row.locator('[data-snapshot="none"]').waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-snapshot="none"]').textContent()).toContain("no picture yet");
    expect(await row.locator("img").count()).toBe(0);
    expect((await h.admin("GET", `/api/v1/cameras/${AGENT}/lobby/snapshot`)).status).toBe(404);
    expect(h.cspErrors.filter((e) => /Content Security Policy|status of 404/i.test(e))).toEqual([]);
  });
});
