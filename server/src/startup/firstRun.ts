/**
 * What a first start makes so that the product can be used at once: an admin API token and an 'admin'
 * console user with a random password. Each is written to the data directory (mode 600) and returned
 * to be printed once; later starts return the token from its file and make neither again.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newToken } from "../api/auth.ts";
import type { Store } from "../store/types.ts";
import type { SessionService } from "../users/sessions.ts";
import { secret } from "../util/ids.ts";

export const ADMIN_TOKEN_FILE = "admin-token";
export const ADMIN_PASSWORD_FILE = "admin-password";

export async function ensureAdminToken(
  store: Store,
  dataDir: string,
): Promise<{ adminToken: string | undefined; adminTokenCreated: boolean }> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (await store.meta.get("admin-token-created"))
    return {
      adminToken: existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined,
      adminTokenCreated: false,
    };
  const { token, hash } = newToken();
  await store.accounts.insertToken({
    id: randomUUID(),
    hash,
    role: "admin",
    name: "initial admin",
    createdAt: Date.now(),
    lastUsedAt: null,
    revokedAt: null,
  });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  await store.meta.set("admin-token-created", new Date().toISOString());
  return { adminToken: token, adminTokenCreated: true };
}

/** The 'admin' console user, made only when the first start finds no users (`create-user` makes others). */
export async function ensureConsoleAdmin(
  store: Store,
  sessions: SessionService,
  dataDir: string,
): Promise<{ name: string; password: string; file: string } | undefined> {
  if (await store.meta.get("console-admin-created")) return undefined;
  let made: { name: string; password: string; file: string } | undefined;
  if ((await store.accounts.listUsers()).length === 0) {
    const password = secret(18);
    const user = await sessions.createUser({ name: "admin", role: "admin", password });
    const file = join(dataDir, ADMIN_PASSWORD_FILE);
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    made = { name: user.name, password, file };
  }
  await store.meta.set("console-admin-created", new Date().toISOString());
  return made;
}
