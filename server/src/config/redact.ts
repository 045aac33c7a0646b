/**
 * The server's settings as they may be shown (GET /api/v1/admin/settings): every secret replaced by
 * REDACTED. One rule for the whole tree, so a setting added later is covered by its name or its value:
 * - a key that names a secret (password, secret, token, API key, credentials, private key, cookie,
 *   salt...): its value, whatever it is;
 * - a string holding a URL with credentials (`mongodb://user:pass@host`, `mqtt://u:p@h`): the
 *   user-info part, and query parameters that name a secret (`?password=...`).
 */
export const REDACTED = "[redacted]";

const SECRET_KEY =
  /(pass(word|wd|phrase)?$|pwd$|secret|token|api[-_]?key|authorization|credential|private[-_]?key|salt$)/i;
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^@/?#\s]*@/i;
const URL_SECRET_PARAM =
  /([?&](?:[a-z0-9_.-]*(?:pass(?:word)?|pwd|secret|token|api[-_]?key|credential|authorization)[a-z0-9_.-]*)=)[^&#]*/gi;

/** Whether a key names a secret. */
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key);

/** A string with its URL credentials removed (unchanged when it holds none). */
export function redactString(s: string): string {
  return s.replace(URL_USERINFO, `$1${REDACTED}@`).replace(URL_SECRET_PARAM, `$1${REDACTED}`);
}

/**
 * A deep copy of `value` with secrets replaced; `redacted` lists the dotted paths changed (a secret
 * key that is unset is not listed: there is nothing to hide).
 */
export function redactSettings(value: unknown): { settings: unknown; redacted: string[] } {
  const redacted: string[] = [];
  const walk = (v: unknown, path: string, secretKey: boolean): unknown => {
    if (v === undefined || v === null) return v;
    if (secretKey) {
      redacted.push(path);
      return REDACTED;
    }
    if (typeof v === "string") {
      const r = redactString(v);
      if (r !== v) redacted.push(path);
      return r;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, false));
    if (typeof v === "object") {
      if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) {
        redacted.push(path);
        return REDACTED;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        out[k] = walk(x, path ? `${path}.${k}` : k, isSecretKey(k));
      return out;
    }
    return v;
  };
  return { settings: walk(value, "", false), redacted };
}
