/**
 * The web console (web/dist, built by `pnpm install`) at `/`: files with their content types, hashed
 * assets cached for a year, index.html revalidated, and index.html for client-side routes. Never
 * answers for the API's own paths. Without a build it serves a page saying how to make one.
 */
import { createReadStream, existsSync, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import type { Context, Next } from "koa";
import { insideDir } from "../util/paths.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Paths that belong to the server, never to the console, in any case: routes are case-sensitive, so
 * /API/V1/tokens is no route, and it must be a 404, not the console's page.
 */
const RESERVED = /^\/(api|health|metrics|openapi\.json|docs)(\/|$)/i;

// The console loads only its own scripts and styles (no inline ones); images come from the API and blob: previews.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const DEFAULT_WEB_DIR = resolve(import.meta.dirname, "../../../web/dist");

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Argus console not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .3rem}</style>
</head><body><h1>The Argus console is not built</h1>
<p>The server is running, but it found no web console build at <code>DIR</code>.</p>
<p>Build it from the checkout with <code>pnpm install</code> (which builds <code>web/</code>) or
<code>pnpm --filter @argus/web build</code>, then reload this page.</p>
<p>The REST API works without it: <a href="/docs">API docs</a>.</p></body></html>`;

export function serveConsole(dir: string = DEFAULT_WEB_DIR) {
  const root = resolve(dir);
  const index = join(root, "index.html");

  const send = async (ctx: Context, file: string, st: Stats) => {
    const ext = extname(file);
    ctx.type = TYPES[ext] ?? "application/octet-stream";
    // Vite puts content hashes in asset names: they never change. Anything else is revalidated.
    const immutable = file.startsWith(join(root, "assets") + sep);
    ctx.set("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    ctx.lastModified = st.mtime;
    ctx.length = st.size;
    if (ext === ".html") {
      ctx.set("content-security-policy", CSP);
      ctx.set("x-frame-options", "DENY");
    }
    ctx.status = 200; // ctx.fresh compares validators only on a 2xx
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = ctx.method === "HEAD" ? null : createReadStream(file);
  };

  return async (ctx: Context, next: Next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    if (RESERVED.test(ctx.path) || RESERVED.test(rel)) return next();
    if (!existsSync(index)) {
      ctx.status = 503;
      ctx.type = "text/html; charset=utf-8";
      ctx.set("cache-control", "no-store");
      ctx.body = NOT_BUILT.replace("DIR", root.replace(/[<>&"]/g, ""));
      return;
    }
    const file = insideDir(root, rel);
    if (!file) return next(); // outside the build (or a NUL byte): not ours
    const st = await stat(file).catch(() => undefined);
    if (st?.isFile()) return send(ctx, file, st);
    // A missing asset is a 404; any other path is a client-side route of the console.
    if (extname(rel) && !rel.endsWith(".html")) return next();
    return send(ctx, index, await stat(index));
  };
}
