/**
 * Structured JSON logs (pino) for every process. Secrets never reach a log line: known secret
 * keys are redacted wherever they appear, and URLs should go through `redactUrl` first.
 */
import { type Logger, pino } from "pino";

export type { Logger };

const SECRET_KEYS = ["password", "token", "secret", "authorization", "apiKey", "webhookSecret", "adminToken"];

export function createLogger(name: string, level = process.env.ARGUS_LOG_LEVEL ?? "info"): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)],
      censor: "[redacted]",
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  });
}

/** mqtt://user:secret@host:1883 -> mqtt://user:***@host:1883 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
  }
}
