/**
 * What the console's end-to-end test files share: a real server (SQLite, embedded MQTT broker) with
 * its built console, console users of each role, an agent publishing real face events over MQTT with
 * its issued credentials, Debian's headless Chromium, screenshots, and axe-core.
 *
 * Contexts are strict by default: the page's Content-Security-Policy applies and every console error
 * is collected (`cspErrors`). Only `audit: true` contexts bypass the CSP, so that axe-core can be
 * injected as an inline script; nothing is checked for CSP in them.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { contextRegion } from "../../agent/src/publish/event.ts";
import { startServer } from "../../server/src/index.ts";
import {
  agentClient,
  apiClient,
  bbt,
  DATA_DIR,
  faceEvent,
  publishEvent,
  type RealFace,
  type RunningServer,
  realFaces,
  STRONG_TRACK,
  tempDir,
  waitFor,
} from "../../server/test/helpers.ts";
import { topics } from "../../shared/src/events/topics.ts";
import { cropRegion, decodeImage, encodeJpeg, type FaceEvent } from "../../shared/src/index.ts";
import { AXE_PATH, type Browser, type BrowserContext, launchChromium, type Page } from "../../web/test/browser.ts";

export const SHOTS = resolve(import.meta.dirname, "../../test-artifacts/console");
export const PASSWORD = "a long test password";
export const AGENT = "agent-e2e";
export const MIN = 60_000;
export const DESKTOP = { width: 1360, height: 900 };
export const PHONE = { width: 390, height: 844 };

export type Harness = Awaited<ReturnType<typeof startConsole>>;

/** The agent's defaults for context crops (bestShot.contextFactor, contextMaxSide). */
const CONTEXT = { factor: 3, maxSide: 480 };

/** The context crop an agent cuts around the face (the agent's own function), and the region it covers. */
export async function contextCrop(
  face: RealFace,
): Promise<{ jpeg: Buffer; width: number; height: number; region: [number, number, number, number] }> {
  const img = await decodeImage(readFileSync(face.file));
  const ctx = cropRegion(img, face.box, CONTEXT.factor, CONTEXT.maxSide);
  const region = contextRegion(face.box, face.frame, CONTEXT.factor);
  return { jpeg: await encodeJpeg(ctx, 90), width: ctx.width, height: ctx.height, region };
}

export async function startConsole(faceFiles: string[]) {
  mkdirSync(SHOTS, { recursive: true });
  // "groups/x.jpg@leonard1": the face of the group photo most like bbt's leonard1 (see realFaces).
  const path = (f: string) => (f.includes("/") ? join(DATA_DIR, f) : bbt(f));
  const list = await realFaces(
    faceFiles.map((f) => {
      const [file, like] = f.split("@");
      return like ? `${path(file)}@${bbt(like)}` : path(file);
    }),
  );
  const faces: Record<string, RealFace> = Object.fromEntries(
    faceFiles.map((n, i) => [
      n
        .split("@")[0]
        .split("/")
        .pop()!
        .replace(/\.\w+$/, ""),
      list[i],
    ]),
  );
  const dataDir = tempDir("argus-console-");
  const start = (httpPort = 0, mqttPort = 0) =>
    startServer({
      config: {
        dataDir,
        http: { port: httpPort, host: "127.0.0.1" },
        mqtt: { port: mqttPort, host: "127.0.0.1" },
        // The tests' webhook receiver is local, and the dead-letter page is paged through 55 of them.
        alerts: { webhookAllowHosts: ["127.0.0.1"] },
        deadLetters: { burst: 200, perAgentPerMinute: 600 },
        log: { level: "error" },
      },
    });
  let server: RunningServer = await start();
  // the URL stays the same across a restart (same ports): the client reads it at each call
  const admin = apiClient(
    {
      get url() {
        return server.url;
      },
    },
    server.adminToken,
  );
  for (const [name, role] of [
    ["alice", "admin"],
    ["oscar", "operator"],
    ["vera", "viewer"],
  ] as const)
    await server.services.sessions.createUser({ name, role, password: PASSWORD });
  const creds = await server.registerAgent(AGENT);
  const mqtt = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password!);
  const browser: Browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const cspErrors: string[] = [];

  const sightingCount = async () => (await admin("GET", "/api/v1/admin/stats")).body.sightings as number;

  /**
   * A face event as the agent sends it; `context` adds the agent's context crop and the region it
   * covers (`contextBox`), `olderAgent` leaves the region out (agents before it was sent).
   */
  const send = async (
    face: RealFace,
    cameraId: string,
    o: { at?: number; context?: boolean; olderAgent?: boolean; trackId?: string } = {},
  ) => {
    const e: FaceEvent = faceEvent(face, {
      agentId: AGENT,
      cameraId,
      capturedAt: new Date(o.at ?? Date.now()),
      trackId: o.trackId,
      // What today's agent says of a track it followed: long enough and a face, so it founds a person.
      extra: STRONG_TRACK,
    });
    if (o.context) {
      const ctx = await contextCrop(face);
      e.contextJpeg = ctx.jpeg.toString("base64");
      if (!o.olderAgent) e.contextBox = ctx.region;
    }
    await publishEvent(mqtt, e);
  };
  /** Sends and waits until the server has stored it. */
  const sendStored = async (face: RealFace, cameraId: string, o: Parameters<typeof send>[2] = {}) => {
    const before = await sightingCount();
    await send(face, cameraId, o);
    await waitFor(async () => (await sightingCount()) > before, "the sighting stored");
  };
  const cameraStatus = (cam: string, state: string) =>
    new Promise((r) =>
      mqtt.publish(
        topics().cameraStatus(AGENT, cam),
        JSON.stringify({ agentId: AGENT, cameraId: cam, state, at: new Date().toISOString() }),
        { qos: 1, retain: true },
        r,
      ),
    );

  async function newPage(o: { viewport?: { width: number; height: number }; audit?: boolean } = {}): Promise<Page> {
    const ctx = await browser.newContext({
      viewport: o.viewport ?? DESKTOP,
      timezoneId: "Europe/Paris",
      bypassCSP: !!o.audit,
    });
    contexts.push(ctx);
    const page = await ctx.newPage();
    if (!o.audit) page.on("console", (m) => m.type() === "error" && cspErrors.push(m.text()));
    return page;
  }
  async function signedIn(name: string, o: Parameters<typeof newPage>[0] = {}): Promise<Page> {
    const page = await newPage(o);
    await page.goto(server.url);
    await page.getByLabel("User name").fill(name);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("[data-stream]").waitFor();
    return page;
  }
  const shot = async (page: Page, name: string) => {
    await page.evaluate("window.scrollTo(0, 0)"); // the sticky header belongs at the top of a full-page shot
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  return {
    get server() {
      return server;
    },
    /** Stops the server (an outage); `back()` starts it again on the same ports and data. */
    async stopServer() {
      const ports = { http: server.httpPort, mqtt: Number(new URL(server.mqttUrl).port) };
      await server.stop();
      return {
        back: async () => {
          server = await start(ports.http, ports.mqtt);
        },
      };
    },
    admin,
    mqtt,
    browser,
    faces,
    cspErrors,
    send,
    sendStored,
    sightingCount,
    cameraStatus,
    newPage,
    signedIn,
    shot,
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await new Promise<void>((r) => mqtt.end(true, {}, () => r()));
      await server.stop();
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe-core on the page as it is (an `audit` context): every violation, with its impact. */
export async function axeAudit(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.addScriptTag({ path: AXE_PATH });
  const violations = (await page.evaluate(
    "window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))",
  )) as AxeViolation[];
  return violations;
}

export const serious = (vs: AxeViolation[]) => vs.filter((v) => v.impact === "serious" || v.impact === "critical");

/** Page-level overflow at a phone's width: the document must not be wider than the viewport. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate("document.documentElement.scrollWidth")) as number;
}
