/**
 * HTTP fuzzing: a few thousand requests generated from the real operation table (shared/src/api):
 * each operation's path with mutated ids, its query schema's fields with wrong, huge or odd values,
 * its JSON body schema with mutated fields, wrong types, extra keys, huge or deep JSON and broken
 * JSON text, its image fields as bad multipart or garbage bytes. Against the real server: never a
 * 500, always a JSON error body with a code, the server up afterwards and its memory bounded.
 * FUZZ_RUNS sets the number of requests, FUZZ_SEED replays a run.
 */
import { type Operation, operations } from "@argus/shared/api/index";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startServer } from "../src/server.ts";
import { type Json, type RunningServer, tempDir } from "./helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** The event stream stays open by design: everything else is fuzzed. */
const FUZZED = (Object.entries(operations) as Array<[string, Operation]>).filter(([id]) => id !== "stream");

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
};
const jsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;

/** Strings that have broken parsers before: numbers in other notations, encodings, control bytes. */
const nasty = fc.constantFrom(
  "",
  "0x10",
  "1e400",
  "-0",
  "NaN",
  "Infinity",
  "99999999999999999999",
  "-1",
  "1.5",
  " 5",
  "%00",
  "\u0000",
  "../../etc/passwd",
  "..%2F..%2F",
  "%E0%A4%A",
  "__proto__",
  "constructor",
  "\ud800",
  "🙂".repeat(100),
  "a".repeat(5000),
  "2024-13-45T99:99:99Z",
  "275760-09-13T00:00:00Z",
  "true",
  "null",
  "[]",
  "{}",
);
const anyString = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 40 }), nasty);

/** A value of the schema's shape, or (often) a wrong one. */
function shapedValue(s: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nasty, fc.double(), fc.constant(null));
  if (!s || depth > 4) return wrong;
  if (s.enum) return fc.oneof(fc.constantFrom(...s.enum), wrong);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => shapedValue(x, depth + 1)), wrong);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const right =
    type === "string"
      ? anyString
      : type === "integer" || type === "number"
        ? fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 53, 1e308))
        : type === "boolean"
          ? fc.boolean()
          : type === "array"
            ? fc.array(shapedValue(s.items, depth + 1), { maxLength: 4 })
            : type === "object"
              ? objectOf(s, depth)
              : wrong;
  return fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: wrong, weight: 1 });
}

function objectOf(s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const model = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, shapedValue(v, depth + 1)]));
  const extra = fc.dictionary(anyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.option(extra, { freq: 4 }))
    .map(([o, x]) => ({ ...(o as object), ...(x ?? {}) }));
}

/** encodeURIComponent, which throws on a lone surrogate: those become '?'. */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "?"));
  }
}

/** Nested arrays `depth` deep, as text. */
const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** A JSON body for the schema: mutated values, or text that is not quite JSON, or far too much of it. */
function jsonBodyOf(schema: z.ZodType): fc.Arbitrary<{ type: string; body: string | Buffer }> {
  const json = "application/json";
  return fc.oneof(
    {
      arbitrary: shapedValue(jsonSchema(schema)).map((v) => ({ type: json, body: JSON.stringify(v) ?? "" })),
      weight: 8,
    },
    {
      arbitrary: fc.integer({ min: 20, max: 300_000 }).map((d) => ({ type: json, body: `{"meta":{"a":${deep(d)}}}` })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(
        '{"name":',
        "{'name':'x'}",
        '{"a":1,}',
        "NaN",
        "\ufeff{}",
        '{"a":1e999999}',
        "[".repeat(10),
      ),
      weight: 1,
    },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ type: json, body: Buffer.from(b) })), weight: 1 },
    { arbitrary: fc.constant({ type: json, body: `{"name":"${"x".repeat(1_100_000)}"}` }), weight: 1 },
    {
      arbitrary: fc.constantFrom("text/plain", "application/xml", "").map((t) => ({ type: t, body: "{}" })),
      weight: 1,
    },
  );
}

/** Image uploads: bad multipart of every kind, or bytes that are no image. */
function imageBodyOf(fields: readonly string[]): fc.Arbitrary<{ type: string; body: string | Buffer }> {
  const boundary = "fuzzBoundary42";
  const mp = `multipart/form-data; boundary=${boundary}`;
  const part = (name: string, data: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      data,
      Buffer.from("\r\n"),
    ]);
  const bytes = fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b));
  return fc.oneof(
    fc.tuple(fc.subarray([...fields, "other", "image"]), bytes).map(([names, b]) => ({
      type: mp,
      body: Buffer.concat([...names.map((n) => part(n, b)), Buffer.from(`--${boundary}--\r\n`)]),
    })),
    fc.tuple(bytes, fc.nat(200)).map(([b, cut]) => ({
      type: mp,
      body: Buffer.concat(fields.map((f) => part(f, b))).subarray(0, cut),
    })),
    bytes.map((b) => ({ type: "multipart/form-data", body: b })),
    bytes.map((b) => ({ type: "image/png", body: b })),
    bytes.map((b) => ({ type: "application/octet-stream", body: b })),
    fc.constant({ type: mp, body: Buffer.from(`--${boundary}\r\n${"X-Header: y\r\n".repeat(2000)}\r\n`) }),
    fc.constantFrom("text/plain", "image/svg+xml", "multipart/mixed").map((t) => ({ type: t, body: "<svg/>" })),
  );
}

interface Req {
  method: string;
  path: string;
  type?: string;
  body?: string | Buffer;
}

/** A request for one operation: path ids, query and body derived from its schemas, mutated. */
function requestOf([, o]: [string, Operation]): fc.Arbitrary<Req> {
  const ids = fc.oneof(
    fc.uuid(),
    fc.integer({ min: 0, max: 1e9 }).map(String),
    anyString.filter((x) => x.length > 0),
  );
  const names = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const path = fc
    .array(ids, { minLength: names.length, maxLength: names.length })
    .map((vals) => names.reduce((p, n, i) => p.replace(`{${n}}`, enc(vals[i])), o.path));
  const queryFields = Object.keys(o.query ? (jsonSchema(o.query).properties ?? {}) : {});
  const query = fc
    .array(fc.tuple(fc.constantFrom(...queryFields, "limit", "x"), fc.oneof(anyString, fc.integer().map(String))), {
      maxLength: 4,
    })
    .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${enc(v)}`).join("&")}` : ""));
  const body: fc.Arbitrary<{ type?: string; body?: string | Buffer }> =
    o.body?.type === "json"
      ? jsonBodyOf(o.body.schema)
      : o.body?.type === "image"
        ? imageBodyOf(o.body.fields)
        : fc.constant({});
  return fc.tuple(path, query, body).map(([p, q, b]) => ({ method: o.method.toUpperCase(), path: p + q, ...b }) as Req);
}

describe("HTTP fuzzing from the REST contract", () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        log: { level: "silent" },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(
    `${RUNS} generated requests: never a 500, always a JSON error with a code, memory bounded`,
    async () => {
      const headers = { authorization: `Bearer ${server.adminToken}`, "x-argus-csrf": "1" };
      const send = async (r: Req) => {
        const res = await fetch(`${server.url}${r.path}`, {
          method: r.method,
          headers: { ...headers, ...(r.type !== undefined ? { "content-type": r.type } : {}) },
          body: r.body,
        });
        const text = await res.text();
        let body: Json;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return { status: res.status, type: res.headers.get("content-type") ?? "", body };
      };
      // The server runs in this process: anything it failed to catch lands here (and would end a real server).
      const uncaught: string[] = [];
      const onUncaught = (e: Error) => uncaught.push(e.stack ?? e.message);
      process.on("uncaughtException", onUncaught);
      const statuses = new Map<number, number>();
      const base = process.memoryUsage().rss;
      let peak = base;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...FUZZED).chain(requestOf), async (r) => {
          const res = await send(r);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          peak = Math.max(peak, process.memoryUsage().rss);
          expect(res.status, `${r.method} ${r.path.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.type, `${r.method} ${r.path.slice(0, 200)}`).toMatch(/^application\/json/);
            expect(typeof res.body?.error?.code, `${r.method} ${r.path.slice(0, 200)} ${res.status}`).toBe("string");
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
      process.off("uncaughtException", onUncaught);
      console.log(`fuzz-http: ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(uncaught).toEqual([]);
      // Mostly refusals (the inputs are bad), and the server is still there and serving.
      expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
      expect((await send({ method: "GET", path: "/health" })).status).toBe(200);
      expect((await send({ method: "GET", path: "/api/v1/me" })).status).toBe(200);
      expect((peak - base) / 1e6).toBeLessThan(400);
    },
    Math.max(120_000, RUNS * 20),
  );
});
