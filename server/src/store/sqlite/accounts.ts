/** API tokens, console users and their sessions. */
import type { Session, Token, User } from "../../domain/types.ts";
import type { AccountRepository, UserPatch } from "../types.ts";
import type { Sql } from "./db.ts";
import { sessions, tokens, users } from "./tables.ts";

const USER_PATCHABLE = ["role", "passwordHash", "disabledAt", "lastLoginAt"] as const;

export class SqliteAccounts implements AccountRepository {
  constructor(private readonly sql: Sql) {}

  // ---------------------------------------------------------------- tokens

  async insertToken(t: Token): Promise<void> {
    this.sql.run(tokens.insertSql(false), tokens.insertValues(t));
  }
  async findTokenByHash(hash: string): Promise<Token | undefined> {
    const r = this.sql.get("SELECT * FROM tokens WHERE hash = ?", [hash]);
    return r && tokens.read(r);
  }
  async listTokens(): Promise<Token[]> {
    return this.sql.all("SELECT * FROM tokens ORDER BY created_at").map(tokens.read);
  }
  async revokeToken(id: string, at: number): Promise<boolean> {
    return this.sql.run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [at, id]).changes === 1;
  }
  async touchToken(id: string, at: number): Promise<void> {
    this.sql.run("UPDATE tokens SET last_used_at = ? WHERE id = ?", [at, id]);
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: User): Promise<boolean> {
    return this.sql.run(users.insertSql(), users.insertValues(u)).changes === 1;
  }
  async getUser(id: string): Promise<User | undefined> {
    const r = this.sql.get("SELECT * FROM users WHERE id = ?", [id]);
    return r && users.read(r);
  }
  async findUserByName(name: string): Promise<User | undefined> {
    const r = this.sql.get("SELECT * FROM users WHERE name = ?", [name]);
    return r && users.read(r);
  }
  async listUsers(): Promise<User[]> {
    return this.sql.all("SELECT * FROM users ORDER BY name").map(users.read);
  }
  async updateUser(id: string, patch: UserPatch, at: number): Promise<User | undefined> {
    const keys = USER_PATCHABLE.filter((k) => patch[k] !== undefined);
    // A login stamp is not an edit of the account.
    const edit = keys.some((k) => k !== "lastLoginAt");
    const a = users.assign({ ...patch, updatedAt: at }, edit ? [...keys, "updatedAt"] : keys);
    if (a.sql) this.sql.run(`UPDATE users SET ${a.sql} WHERE id = ?`, [...a.params, id], false);
    return this.getUser(id);
  }
  async deleteUser(id: string): Promise<boolean> {
    return this.sql.tx(() => {
      this.sql.run("DELETE FROM sessions WHERE user_id = ?", [id]);
      return this.sql.run("DELETE FROM users WHERE id = ?", [id]).changes === 1;
    });
  }

  // ---------------------------------------------------------------- sessions

  async insertSession(s: Session): Promise<void> {
    this.sql.run(sessions.insertSql(false), sessions.insertValues(s));
  }
  async getSession(id: string): Promise<Session | undefined> {
    const r = this.sql.get("SELECT * FROM sessions WHERE id = ?", [id]);
    return r && sessions.read(r);
  }
  async touchSession(id: string, at: number): Promise<void> {
    this.sql.run("UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?", [at, id]);
  }
  async deleteSession(id: string): Promise<boolean> {
    return this.sql.run("DELETE FROM sessions WHERE id = ?", [id]).changes === 1;
  }
  async deleteUserSessions(userId: string): Promise<number> {
    return this.sql.run("DELETE FROM sessions WHERE user_id = ?", [userId]).changes;
  }
  async deleteExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return this.sql.run("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?", [now, idleBefore]).changes;
  }
}
