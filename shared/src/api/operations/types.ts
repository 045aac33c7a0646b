/** The shape of an operation of the REST API, and the small builders the operation tables use. */
import { z } from "zod";
import { DeviceIdSchema } from "../common.ts";
import type { Role } from "../enums.ts";

export type Method = "get" | "post" | "patch" | "delete";

export type Body =
  | { type: "json"; schema: z.ZodType }
  /** multipart/form-data file fields; with one field, a raw image/* body is accepted too. */
  | { type: "image"; fields: readonly string[] }
  /** A zip archive: multipart/form-data field `archive`, or a raw application/zip body (http.bulk.maxArchiveBytes). */
  | { type: "archive"; fields: readonly ["archive"] };

export type Response =
  | { status: 200 | 201; schema: z.ZodType }
  | { status: 204 }
  /** A non-JSON body (crops, CSV, the event stream, metrics, docs). */
  | {
      status: 200;
      type: "image/jpeg" | "text/csv" | "text/event-stream" | "text/plain" | "text/html" | "application/json";
    };

export interface Operation {
  method: Method;
  /** OpenAPI form: /api/v1/persons/{id}. */
  path: string;
  summary: string;
  description?: string;
  /** The least role that may call it; null: no credentials needed. */
  role: Role | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Body;
  response: Response;
  /** Error statuses besides the generic ones (400 for bad input, 401/403 for roles). */
  errors?: readonly number[];
}

export const op = <const O extends Operation>(o: O): O => o;

/** Path parameters: ids are bounded strings; those that name files (sightings, faces) have their exact format. */
export const id = z.string().min(1).max(128);
export const idParams = z.object({ id });
export const deviceParams = z.object({ id: DeviceIdSchema });
/** Face ids: decimal integers. */
export const numericId = z
  .string()
  .regex(/^\d{1,15}$/, "must be a positive integer")
  .transform(Number);
/** Sighting ids: UUID-shaped, lower-case hex (derived from the event id: server/src/util/ids.ts). */
export const uuid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    "must be a UUID (lower-case hex, 8-4-4-4-12)",
  );
export const uuidParams = z.object({ id: uuid });

export const json = <S extends z.ZodType>(schema: S) => ({ type: "json", schema }) as const;
export const ok = <S extends z.ZodType>(schema: S) => ({ status: 200, schema }) as const;
export const created = <S extends z.ZodType>(schema: S) => ({ status: 201, schema }) as const;
export const done = { status: 204 } as const;
export const image = { type: "image", fields: ["image"] } as const;
export const archive = { type: "archive", fields: ["archive"] } as const;
export const jpeg = { status: 200, type: "image/jpeg" } as const;
