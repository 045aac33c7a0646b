/**
 * Who is calling, and may they? One module resolves a principal with a role from the request:
 * a bearer token (programs) or the console's session cookie (a signed-in user, same roles).
 * Routes only ever call requireRole().
 */
import type { Context, Next } from "koa";
import type { Role, Token } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import { SESSION_COOKIE, type SessionService } from "../users/sessions.ts";
import { hashSecret, secret } from "../util/ids.ts";
import { ApiError } from "./errors.ts";

export interface Principal {
  kind: "token" | "session";
  id: string;
  name: string;
  role: Role;
}

export type PrincipalResolver = (ctx: Context) => Promise<Principal | undefined>;

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export const ROLES: Role[] = ["admin", "operator", "viewer"];

export const TOKEN_PREFIX = "argus_";

export function newToken(): { token: string; hash: string } {
  const token = TOKEN_PREFIX + secret(32);
  return { token, hash: hashSecret(token) };
}

/** Bearer tokens, cached briefly (a revoke clears the cache at once). */
export class TokenResolver {
  private readonly cache = new Map<string, { t: Token | undefined; at: number }>();
  constructor(
    private readonly store: Store,
    private readonly ttlMs = 10_000,
  ) {}

  clear(): void {
    this.cache.clear();
  }

  resolve: PrincipalResolver = async (ctx) => {
    const h = ctx.get("authorization");
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) return undefined;
    const hash = hashSecret(m[1]);
    const now = Date.now();
    let hit = this.cache.get(hash);
    if (!hit || now - hit.at > this.ttlMs) {
      const t = await this.store.accounts.findTokenByHash(hash);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, (hit = { t, at: now }));
      if (t && !t.revokedAt) void this.store.accounts.touchToken(t.id, now).catch(() => {});
    }
    const t = hit.t;
    if (!t || t.revokedAt) throw new ApiError(401, "UNAUTHORIZED", "the bearer token is unknown or revoked");
    return { kind: "token", id: t.id, name: t.name, role: t.role };
  };
}

/** Header the console sends with every change; a cross-site form cannot, and a cross-site script needs CORS we never grant. */
export const CSRF_HEADER = "x-argus-csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF defence for cookie-authenticated changes (and sign-in), on top of the SameSite=Strict cookie:
 * the console's header, and an Origin / Sec-Fetch-Site that, when the browser sends them, are ours.
 */
export function assertFromConsole(ctx: Context): void {
  const refuse = (why: string) => {
    throw new ApiError(403, "CSRF_REJECTED", `request refused: ${why}`);
  };
  if (ctx.get(CSRF_HEADER) !== "1") refuse(`changes made with a session cookie need the '${CSRF_HEADER}: 1' header`);
  if (ctx.get("sec-fetch-site") === "cross-site") refuse("it came from another site");
  const origin = ctx.get("origin");
  if (origin) {
    let host = "";
    try {
      host = new URL(origin).host;
    } catch {}
    if (host !== ctx.host) refuse(`origin ${origin} is not this server`);
  }
}

/** The console's session cookie; 401 when it names no live session (expired, signed out, user disabled). */
export function sessionResolver(sessions: SessionService): PrincipalResolver {
  return async (ctx) => {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (!cookie) return undefined;
    const r = await sessions.resolve(cookie);
    if (!r)
      throw new ApiError(
        401,
        "SESSION_ENDED",
        "the session has ended (signed out, expired or disabled); sign in again",
      );
    if (!SAFE_METHODS.has(ctx.method)) assertFromConsole(ctx);
    ctx.state.holdOpen = (close: () => void) => sessions.holdOpen(cookie, r.user.id, close);
    return { kind: "session", id: r.user.id, name: r.user.name, role: r.user.role };
  };
}

/** Resolves the principal for every request under it; 401 without one. */
export function authenticate(resolvers: PrincipalResolver[]) {
  return async (ctx: Context, next: Next) => {
    let p: Principal | undefined;
    for (const r of resolvers) if ((p = await r(ctx))) break;
    if (!p) {
      ctx.set("www-authenticate", 'Bearer realm="argus"');
      throw new ApiError(
        401,
        "UNAUTHORIZED",
        "missing credentials: send 'Authorization: Bearer <token>' or sign in to the console",
      );
    }
    ctx.state.principal = p;
    await next();
    // A response that stays open (the event stream) must not outlive the session that opened it.
    if (ctx.respond === false && ctx.state.holdOpen && !ctx.res.writableEnded) {
      const release = ctx.state.holdOpen(() => ctx.res.end());
      ctx.res.once("close", release);
    }
  };
}

export function requireRole(min: Role) {
  return async (ctx: Context, next: Next) => {
    const p = ctx.state.principal as Principal | undefined;
    if (!p || RANK[p.role] < RANK[min]) {
      throw new ApiError(403, "FORBIDDEN", `this needs the ${min} role; you are ${p?.role ?? "anonymous"}`);
    }
    await next();
  };
}

export const principalOf = (ctx: Context) => ctx.state.principal as Principal;
