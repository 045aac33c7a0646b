/**
 * Console sign-in and user management. Sign-in and sign-out sit outside the authenticated router
 * (no principal yet, or a stale one); users are managed by admins; anyone signed in may change their
 * own password.
 */
import type { Context } from "koa";
import { userState } from "../../audit/audit.ts";
import { invalidArgument } from "../../domain/errors.ts";
import { SESSION_COOKIE } from "../../users/sessions.ts";
import { userView } from "../../views/views.ts";
import { assertFromConsole, principalOf } from "../auth.ts";
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";
import { actorOf } from "./identities.ts";

function setCookie(s: Services, ctx: Context, value: string, maxAgeMs: number): void {
  const mode = s.config.console.secureCookies;
  const secure = mode === "always" || (mode === "auto" && ctx.secure);
  if (secure) ctx.cookies.secure = true; // behind a TLS proxy the socket itself is plain http
  ctx.cookies.set(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "strict",
    secure,
    path: "/",
    maxAge: maxAgeMs,
    overwrite: true,
  });
}

/** Sign-in and sign-out need no principal (none yet, or a stale one): both check the console's CSRF header. */
export function sessionRoutes(r: Routes, s: Services): void {
  r.add("signIn", async (ctx, { body }) => {
    assertFromConsole(ctx);
    const { user, secret } = await s.sessions.signIn(body.name, body.password, ctx.ip);
    setCookie(s, ctx, secret, s.sessions.maxMs);
    ctx.set("cache-control", "no-store");
    return { user: { id: user.id, name: user.name, role: user.role } };
  });

  r.add("signOut", async (ctx) => {
    assertFromConsole(ctx);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie) await s.sessions.signOut(cookie);
    setCookie(s, ctx, "", 0);
  });
}

export function userRoutes(r: Routes, s: Services): void {
  r.add("changePassword", async (ctx, { body }) => {
    const p = principalOf(ctx);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (p.kind !== "session" || !cookie)
      throw invalidArgument("current", "only a signed-in console user has a password to change");
    await s.sessions.changeOwnPassword(p.id, body.current, body.password, cookie);
  });

  r.add("listUsers", async () => ({ items: (await s.store.accounts.listUsers()).map(userView) }));

  r.add("createUser", async (ctx, { body }) => {
    const u = await s.sessions.createUser(body);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "user.create",
      targetType: "user",
      targetId: u.id,
      before: null,
      after: userState(u),
    });
    return userView(u);
  });

  r.add("updateUser", async (ctx, { params, body }) => {
    const p = principalOf(ctx);
    const own = p.kind === "session" && p.id === params.id;
    // An admin changing their own password stays signed in here; any other change signs the user out.
    const keep =
      own && body.role === undefined && body.disabled === undefined ? ctx.cookies.get(SESSION_COOKIE) : undefined;
    const before = await s.store.accounts.getUser(params.id);
    const u = await s.sessions.updateUser(params.id, body, keep);
    await s.audit.record({
      actor: actorOf(ctx),
      action:
        body.password !== undefined && body.role === undefined && body.disabled === undefined
          ? "user.password"
          : "user.update",
      targetType: "user",
      targetId: u.id,
      before: userState(before),
      after: { ...userState(u), ...(body.password !== undefined ? { passwordChanged: true } : {}) },
    });
    return userView(u);
  });

  r.add("deleteUser", async (ctx, { params }) => {
    const before = await s.store.accounts.getUser(params.id);
    await s.sessions.deleteUser(params.id);
    await s.audit.record({
      actor: actorOf(ctx),
      action: "user.delete",
      targetType: "user",
      targetId: params.id,
      before: userState(before),
      after: null,
    });
  });
}
