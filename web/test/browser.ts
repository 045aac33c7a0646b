/**
 * Debian's headless Chromium driven by playwright-core, for the console's end-to-end tests
 * (test/e2e/). Lives in web/ so that playwright-core resolves from this package's dependencies.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

export type { Browser, BrowserContext, Page } from "playwright-core";

export const CHROMIUM = process.env.ARGUS_CHROMIUM ?? "/usr/bin/chromium";
export const WEB_DIST = resolve(import.meta.dirname, "../dist");
/** axe-core's browser build (a dev dependency of this package), injected by the accessibility checks. */
export const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** Why the console's browser tests cannot run here, or undefined when they can. */
export function browserTestsUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM))
    return `SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
  if (!existsSync(resolve(WEB_DIST, "index.html")))
    return `SKIPPED: the console is not built at ${WEB_DIST} (pnpm install builds it; or pnpm --filter @argus/web build)`;
  return undefined;
}

/** Each launch gets a fresh temporary profile (playwright's own --user-data-dir), removed at close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}
