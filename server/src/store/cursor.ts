/**
 * Keyset pagination cursors, the same for both stores: base64url JSON of the sort key and id of the
 * last item on a page. The next page holds the items strictly after it in (key DESC, id DESC) order.
 */

export function encodeCursor(key: number, id: string | number): string {
  return Buffer.from(JSON.stringify([key, id])).toString("base64url");
}

/** A cursor that was not made by encodeCursor (the API answers 400). */
export class CursorError extends Error {}

export function decodeCursor(cursor: string | undefined): { key: number; id: string | number } | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && ["string", "number"].includes(typeof v[1])) {
      return { key: v[0], id: v[1] };
    }
  } catch {}
  throw new CursorError("cursor is malformed");
}
