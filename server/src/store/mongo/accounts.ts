/** API tokens, console users and their sessions. */
import type { Document } from "mongodb";
import type { Session, Token, User } from "../../domain/types.ts";
import type { AccountRepository, UserPatch } from "../types.ts";
import { type Collections, fromDoc, insertNew, withId } from "./docs.ts";

export class MongoAccounts implements AccountRepository {
  constructor(private readonly c: Collections) {}

  // ---------------------------------------------------------------- tokens

  async insertToken(t: Token): Promise<void> {
    await this.c("tokens").insertOne(withId(t));
  }
  async findTokenByHash(hash: string): Promise<Token | undefined> {
    return fromDoc<Token>(await this.c("tokens").findOne({ hash }));
  }
  async listTokens(): Promise<Token[]> {
    return (await this.c("tokens").find().sort({ createdAt: 1 }).toArray()).map((d) => fromDoc<Token>(d)!);
  }
  async revokeToken(id: string, at: number): Promise<boolean> {
    return (
      (await this.c("tokens").updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at } })).matchedCount === 1
    );
  }
  async touchToken(id: string, at: number): Promise<void> {
    await this.c("tokens").updateOne({ _id: id }, { $set: { lastUsedAt: at } });
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: User): Promise<boolean> {
    return insertNew(this.c("users"), withId(u));
  }
  async getUser(id: string): Promise<User | undefined> {
    return fromDoc<User>(await this.c("users").findOne({ _id: id }));
  }
  async findUserByName(name: string): Promise<User | undefined> {
    return fromDoc<User>(await this.c("users").findOne({ name }));
  }
  async listUsers(): Promise<User[]> {
    return (await this.c("users").find().sort({ name: 1 }).toArray()).map((d) => fromDoc<User>(d)!);
  }
  async updateUser(id: string, patch: UserPatch, at: number): Promise<User | undefined> {
    const set: Document = {};
    for (const k of ["role", "passwordHash", "disabledAt", "lastLoginAt"] as const)
      if (patch[k] !== undefined) set[k] = patch[k];
    // A login stamp is not an edit of the account.
    if (Object.keys(set).some((k) => k !== "lastLoginAt")) set.updatedAt = at;
    if (Object.keys(set).length) await this.c("users").updateOne({ _id: id }, { $set: set });
    return this.getUser(id);
  }
  async deleteUser(id: string): Promise<boolean> {
    await this.c("sessions").deleteMany({ userId: id });
    return (await this.c("users").deleteOne({ _id: id })).deletedCount === 1;
  }

  // ---------------------------------------------------------------- sessions

  async insertSession(s: Session): Promise<void> {
    await this.c("sessions").insertOne(withId(s));
  }
  async getSession(id: string): Promise<Session | undefined> {
    return fromDoc<Session>(await this.c("sessions").findOne({ _id: id }));
  }
  async touchSession(id: string, at: number): Promise<void> {
    await this.c("sessions").updateOne({ _id: id }, { $max: { lastSeenAt: at } });
  }
  async deleteSession(id: string): Promise<boolean> {
    return (await this.c("sessions").deleteOne({ _id: id })).deletedCount === 1;
  }
  async deleteUserSessions(userId: string): Promise<number> {
    return (await this.c("sessions").deleteMany({ userId })).deletedCount;
  }
  async deleteExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return (
      await this.c("sessions").deleteMany({ $or: [{ expiresAt: { $lte: now } }, { lastSeenAt: { $lt: idleBefore } }] })
    ).deletedCount;
  }
}
