/**
 * Who is calling, and may they? One module resolves a principal with a role from the request:
 * today a bearer token; the console's session cookies will add a resolver here that maps a signed-in
 * user to the same roles. Routes only ever call requireRole().
 */
import type { Context, Next } from "koa";
import type { Role, Store, Token } from "../store/types.ts";
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
      const t = await this.store.findTokenByHash(hash);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, (hit = { t, at: now }));
      if (t && !t.revokedAt) void this.store.touchToken(t.id, now).catch(() => {});
    }
    const t = hit.t;
    if (!t || t.revokedAt) throw new ApiError(401, "UNAUTHORIZED", "the bearer token is unknown or revoked");
    return { kind: "token", id: t.id, name: t.name, role: t.role };
  };
}

/** Resolves the principal for every request under it; 401 without one. */
export function authenticate(resolvers: PrincipalResolver[]) {
  return async (ctx: Context, next: Next) => {
    let p: Principal | undefined;
    for (const r of resolvers) if ((p = await r(ctx))) break;
    if (!p) {
      ctx.set("www-authenticate", 'Bearer realm="argus"');
      throw new ApiError(401, "UNAUTHORIZED", "missing credentials: send 'Authorization: Bearer <token>'");
    }
    ctx.state.principal = p;
    await next();
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
