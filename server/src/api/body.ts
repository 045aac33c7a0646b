/** Request bodies with limits: JSON, and images (multipart fields or a raw image body). 413 above the limit. */
import Busboy from "busboy";
import type { Context } from "koa";
import type { z } from "zod";
import { ApiError, fromZod } from "./errors.ts";

const tooLarge = (limit: number) =>
  new ApiError(413, "PAYLOAD_TOO_LARGE", `the request body exceeds the limit of ${limit} bytes`, { limit });

function checkLength(ctx: Context, limit: number): void {
  const len = Number(ctx.get("content-length") || 0);
  if (len > limit) throw tooLarge(limit);
}

async function readRaw(ctx: Context, limit: number): Promise<Buffer> {
  checkLength(ctx, limit);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw tooLarge(limit);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing (brackets inside
 * strings are text), stopping as soon as it passes `max`: JSON.parse, zod and JSON.stringify all
 * recurse, and a 200k-deep array overflows the stack in one of them.
 */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export async function readJson<S extends z.ZodType>(
  ctx: Context,
  schema: S,
  limits: { bytes: number; depth: number },
): Promise<z.infer<S>> {
  const type = ctx.get("content-type");
  const raw = await readRaw(ctx, limits.bytes);
  if (raw.length && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send JSON with 'Content-Type: application/json'");
  }
  let v: unknown = {};
  if (raw.length) {
    const text = raw.toString("utf8");
    if (jsonTooDeep(text, limits.depth))
      throw new ApiError(400, "JSON_TOO_DEEP", `the body nests arrays and objects deeper than ${limits.depth} levels`, {
        maxDepth: limits.depth,
      });
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, "INVALID_JSON", `the body is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = schema.safeParse(v);
  if (!r.success) throw fromZod(r.error, "body");
  return r.data;
}

/** Validates path parameters or a query string; 400 naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(r.error, where);
  return r.data;
}

/**
 * The images of a request by field name. Multipart: the named file fields. A raw body (image/* or
 * application/octet-stream) counts as the first field.
 */
export async function readImages(ctx: Context, fields: string[], limit: number): Promise<Record<string, Buffer>> {
  const type = ctx.get("content-type");
  if (/^multipart\/form-data/i.test(type)) return readMultipart(ctx, fields, limit);
  if (/^(image\/|application\/octet-stream)/i.test(type)) {
    if (fields.length > 1) {
      throw new ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `send multipart/form-data with the fields ${fields.join(", ")}`,
      );
    }
    return { [fields[0]]: await readRaw(ctx, limit) };
  }
  throw new ApiError(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    `send the image as multipart/form-data (field${fields.length > 1 ? "s" : ""} ${fields.map((f) => `'${f}'`).join(", ")}) or as a raw image/* body`,
  );
}

/** A zip archive: the multipart field `archive`, or a raw application/zip (or octet-stream) body. */
export async function readArchive(ctx: Context, limit: number): Promise<Record<"archive", Buffer>> {
  const type = ctx.get("content-type");
  if (/^multipart\/form-data/i.test(type)) return readMultipart(ctx, ["archive"], limit, "zip archive");
  if (/^application\/(zip|x-zip-compressed|octet-stream)/i.test(type)) return { archive: await readRaw(ctx, limit) };
  throw new ApiError(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    "send the zip archive as multipart/form-data (field 'archive') or as a raw application/zip body",
  );
}

function readMultipart(ctx: Context, fields: string[], limit: number, what = "image"): Promise<Record<string, Buffer>> {
  checkLength(ctx, limit * fields.length + 64 * 1024);
  return new Promise((resolve, reject) => {
    const out: Record<string, Buffer> = {};
    let failed: ApiError | undefined;
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({
        headers: ctx.req.headers,
        limits: { fileSize: limit, files: fields.length, fields: 20, parts: 30 },
      });
    } catch (e) {
      return reject(new ApiError(400, "INVALID_MULTIPART", `malformed multipart body: ${(e as Error).message}`));
    }
    bb.on("file", (name, stream) => {
      if (!fields.includes(name)) {
        failed ??= new ApiError(
          400,
          "INVALID_ARGUMENT",
          `${name}: unexpected file field; expected ${fields.join(", ")}`,
          { field: name },
        );
        stream.on("error", () => {}); // the request is refused anyway
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      // A body cut off inside a file errors the file's stream too: unheard, it would crash the process.
      stream.on("error", (e) => {
        failed ??= new ApiError(400, "INVALID_MULTIPART", `malformed multipart body: ${e.message}`);
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("limit", () => {
        failed ??= tooLarge(limit);
      });
      stream.on("end", () => {
        out[name] = Buffer.concat(chunks);
      });
    });
    bb.on("filesLimit", () => {
      failed ??= new ApiError(400, "INVALID_ARGUMENT", `too many files; expected ${fields.join(", ")}`);
    });
    bb.on("error", (e) =>
      reject(new ApiError(400, "INVALID_MULTIPART", `malformed multipart body: ${(e as Error).message}`)),
    );
    bb.on("close", () => {
      if (failed) return reject(failed);
      for (const f of fields) {
        if (!out[f])
          return reject(new ApiError(400, "INVALID_ARGUMENT", `${f}: the ${what} file field is missing`, { field: f }));
      }
      resolve(out);
    });
    ctx.req.pipe(bb);
  });
}
