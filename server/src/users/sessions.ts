/**
 * Console sign-in: user accounts (scrypt passwords) and server-side sessions. The browser holds a
 * random 256-bit secret in an httpOnly cookie; the store keeps only its SHA-256, so a database leak
 * does not hand out sessions. A session ends at sign-out, after `sessionIdleMinutes` without a
 * request, `sessionMaxHours` after sign-in, or when its user is disabled, deleted or changes role or
 * password. api/auth.ts turns a session into the same principal (role) as a bearer token.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@argus/shared";
import type { Config } from "../config/config.ts";
import { conflict, invalidArgument, notFound, rateLimited, unauthenticated } from "../domain/errors.ts";
import type { Role, Session, User } from "../domain/types.ts";
import type { Store } from "../store/types.ts";
import { hashSecret, secret } from "../util/ids.ts";
import { addressKey, BackoffLimiter, FailureLimiter } from "./limiter.ts";
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from "./passwords.ts";

export const SESSION_COOKIE = "argus_session";
const TOUCH_EVERY_MS = 60_000;
const LIMIT_WINDOW_MS = 15 * 60_000;
/** Growing sign-in delays: 1 s, doubling, at most 15 minutes; forgotten an hour after the last failure. */
const BACKOFF = { baseMs: 1000, maxMs: 15 * 60_000, forgetMs: 60 * 60_000 };

/** Lower-case letters, digits and . _ @ - ; 1-64 characters. */
export const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function normalizeUserName(name: string): string {
  return name.trim().toLowerCase();
}

export class SessionService {
  /** Per (user name, client address): a guesser elsewhere cannot lock the real user out. */
  private readonly byPair: BackoffLimiter;
  private readonly byAddress: FailureLimiter;
  private lastPurge = 0;
  /** Long-lived responses (the event stream) by session id, ended when their session ends. */
  private readonly held = new Map<string, { userId: string; cookie: string; close: Set<() => void> }>();
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly settings: Config["console"],
    private readonly log: Logger,
  ) {
    this.byPair = new BackoffLimiter({ free: settings.maxLoginFailures, ...BACKOFF });
    // Guessing across many names from one address; it may serve several people (a control room
    // behind one NAT): a looser bound.
    this.byAddress = new FailureLimiter(settings.maxLoginFailures * 5, LIMIT_WINDOW_MS);
  }

  get idleMs(): number {
    return this.settings.sessionIdleMinutes * 60_000;
  }
  get maxMs(): number {
    return this.settings.sessionMaxHours * 3_600_000;
  }

  /** Checks the password; returns the user and a new session's cookie secret. 401 or 429 otherwise. */
  async signIn(rawName: string, password: string, address: string): Promise<{ user: User; secret: string }> {
    const name = normalizeUserName(rawName);
    const from = addressKey(address);
    const pair = `${name}\n${from}`;
    const refuse = (waitMs: number) => {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return rateLimited("TOO_MANY_ATTEMPTS", `too many failed sign-ins; try again in ${seconds} s`, seconds);
    };
    // A try while waiting lengthens the wait: no password is checked, so it costs the server nothing.
    if (this.byPair.retryAfter(pair) > 0) throw refuse(this.byPair.fail(pair));
    const addressWait = this.byAddress.retryAfter(from);
    if (addressWait > 0) throw refuse(addressWait);
    const user = await this.store.accounts.findUserByName(name);
    // Unknown names cost a full scrypt too: the response time does not tell which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok || user.disabledAt !== null) {
      this.byPair.fail(pair);
      this.byAddress.fail(from);
      this.log.warn(
        { user: name, address, reason: !user ? "unknown" : !ok ? "password" : "disabled" },
        "sign-in refused",
      );
      throw unauthenticated("INVALID_CREDENTIALS", "wrong user name or password, or the account is disabled");
    }
    this.byPair.reset(pair);
    const now = Date.now();
    const s = secret(32);
    await this.store.accounts.insertSession({
      id: hashSecret(s),
      userId: user.id,
      createdAt: now,
      expiresAt: now + this.maxMs,
      lastSeenAt: now,
    });
    await this.store.accounts.updateUser(user.id, { lastLoginAt: now }, now);
    this.log.info({ user: user.name, role: user.role, address }, "signed in");
    if (now - this.lastPurge > 3_600_000) {
      this.lastPurge = now;
      void this.store.accounts.deleteExpiredSessions(now, now - this.idleMs).catch(() => {});
    }
    return { user, secret: s };
  }

  /** The live session and its (enabled) user for a cookie secret; expired sessions are removed. */
  async resolve(cookieSecret: string): Promise<{ user: User; session: Session } | undefined> {
    const id = hashSecret(cookieSecret);
    const session = await this.store.accounts.getSession(id);
    if (!session) return undefined;
    const now = Date.now();
    if (session.expiresAt <= now || session.lastSeenAt + this.idleMs <= now) {
      await this.store.accounts.deleteSession(id);
      return undefined;
    }
    const user = await this.store.accounts.getUser(session.userId);
    if (!user || user.disabledAt !== null) return undefined;
    if (now - session.lastSeenAt > TOUCH_EVERY_MS) await this.store.accounts.touchSession(id, now);
    return { user, session };
  }

  async signOut(cookieSecret: string): Promise<void> {
    const id = hashSecret(cookieSecret);
    await this.store.accounts.deleteSession(id);
    this.endHeld((sid) => sid === id);
  }

  /**
   * Keeps `close` to be called when the session ends: at sign-out or a change to its user at once,
   * at expiry within a minute. Returns the function that forgets it (call it when the response closes).
   */
  holdOpen(cookieSecret: string, userId: string, close: () => void): () => void {
    const id = hashSecret(cookieSecret);
    let h = this.held.get(id);
    if (!h) this.held.set(id, (h = { userId, cookie: cookieSecret, close: new Set() }));
    h.close.add(close);
    if (!this.heldTimer) {
      this.heldTimer = setInterval(() => void this.recheckHeld(), 60_000);
      this.heldTimer.unref();
    }
    return () => {
      h.close.delete(close);
      if (!h.close.size) this.held.delete(id);
    };
  }

  private async recheckHeld(): Promise<void> {
    for (const [id, h] of [...this.held]) {
      const alive = await this.resolve(h.cookie).catch(() => true); // a store hiccup is not a sign-out
      if (!alive) this.endHeld((sid) => sid === id);
    }
  }

  private endHeld(which: (sessionId: string, userId: string) => boolean): void {
    for (const [id, h] of [...this.held]) {
      if (!which(id, h.userId)) continue;
      this.held.delete(id);
      for (const c of h.close) c();
    }
  }

  // ------------------------------------------------------------------ accounts

  async createUser(input: { name: string; role: Role; password: string }): Promise<User> {
    const name = normalizeUserName(input.name);
    if (!USER_NAME.test(name))
      throw invalidArgument("name", "1-64 characters: letters, digits, '.', '_', '@', '-' (case-insensitive)");
    const problem = passwordProblem(input.password);
    if (problem) throw invalidArgument("password", problem);
    const now = Date.now();
    const user: User = {
      id: randomUUID(),
      name,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
      lastLoginAt: null,
    };
    if (!(await this.store.accounts.insertUser(user)))
      throw conflict("CONFLICT", `a user named '${name}' already exists`, { field: "name" });
    this.log.info({ user: name, role: user.role }, "user created");
    return user;
  }

  /**
   * Changes role, password or enabled state. Any change ends the user's sessions (a new role or password
   * takes effect at once), except `keepSession`: the caller's own, when they change their own password.
   * The last enabled admin cannot be demoted or disabled (409).
   */
  async updateUser(
    id: string,
    patch: { role?: Role; password?: string; disabled?: boolean },
    keepSession?: string,
  ): Promise<User> {
    const cur = await this.store.accounts.getUser(id);
    if (!cur) throw notFound("user", id);
    if (patch.password !== undefined) {
      const problem = passwordProblem(patch.password);
      if (problem) throw invalidArgument("password", problem);
    }
    const losesAdmin =
      cur.role === "admin" &&
      cur.disabledAt === null &&
      ((patch.role !== undefined && patch.role !== "admin") || patch.disabled === true);
    if (losesAdmin) await this.assertAnotherAdmin(cur.id);
    const now = Date.now();
    const user = await this.store.accounts.updateUser(
      id,
      {
        role: patch.role,
        passwordHash: patch.password !== undefined ? await hashPassword(patch.password) : undefined,
        disabledAt: patch.disabled === undefined ? undefined : patch.disabled ? (cur.disabledAt ?? now) : null,
      },
      now,
    );
    if (!user) throw notFound("user", id);
    const kept = keepSession ? await this.store.accounts.getSession(hashSecret(keepSession)) : undefined;
    const ended = await this.store.accounts.deleteUserSessions(id);
    if (kept?.userId === id) await this.store.accounts.insertSession(kept);
    this.endHeld((sid, uid) => uid === id && sid !== kept?.id);
    this.log.info(
      {
        user: user.name,
        role: user.role,
        disabled: user.disabledAt !== null,
        passwordChanged: patch.password !== undefined,
        sessionsEnded: ended - (kept?.userId === id ? 1 : 0),
      },
      "user updated",
    );
    return user;
  }

  /** A signed-in user changes their own password (the current one is checked); other sessions end. */
  async changeOwnPassword(userId: string, current: string, next: string, cookieSecret: string): Promise<void> {
    const user = await this.store.accounts.getUser(userId);
    if (!user || !(await verifyPassword(current, user.passwordHash)))
      throw invalidArgument("current", "the current password is wrong");
    await this.updateUser(userId, { password: next }, cookieSecret);
  }

  async deleteUser(id: string): Promise<void> {
    const cur = await this.store.accounts.getUser(id);
    if (!cur) throw notFound("user", id);
    if (cur.role === "admin" && cur.disabledAt === null) await this.assertAnotherAdmin(id);
    await this.store.accounts.deleteUser(id);
    this.endHeld((_sid, uid) => uid === id);
    this.log.info({ user: cur.name }, "user deleted");
  }

  private async assertAnotherAdmin(exceptId: string): Promise<void> {
    const admins = (await this.store.accounts.listUsers()).filter(
      (u) => u.role === "admin" && u.disabledAt === null && u.id !== exceptId,
    );
    if (!admins.length)
      throw conflict("LAST_ADMIN", "this is the last enabled admin account; make another admin first");
  }
}
