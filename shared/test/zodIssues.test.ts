/** The one zod error formatter: paths, missing fields, unknown keys, values found, one-line form. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatSchemaIssue, formatZodError, zodIssues } from "../src/util/zodIssues.ts";

const Schema = z
  .object({
    port: z.coerce.number().int().max(65535),
    mode: z.enum(["a", "b"]),
    name: z.string(),
    nested: z.object({ list: z.array(z.number().min(1)) }).strict(),
  })
  .strict();

describe("zodIssues", () => {
  const input = { port: "99999", mode: "c", nested: { list: [1, 0], lsit: [] } };
  const r = Schema.safeParse(input);
  if (r.success) throw new Error("expected a failure");

  it("names each field by its dotted path, with the value found in the input", () => {
    const byPath = Object.fromEntries(zodIssues(r.error, { input }).map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(["mode", "name", "nested.list.1", "nested.lsit", "port"]);
    // The input's value, not the coerced one.
    expect(byPath.port).toMatchObject({ value: "99999", message: expect.stringMatching(/<=\s*65535/) });
    expect(byPath.mode).toMatchObject({ value: "c", message: expect.stringMatching(/"a".*"b"/) });
    expect(byPath["nested.list.1"]).toMatchObject({ value: 0 });
    expect(byPath.name).toEqual({ path: "name", message: "expected a value (string) but it is missing" });
    expect(byPath["nested.lsit"].message).toMatch(/a known field \(there is no 'lsit' here/);
    expect(byPath["nested.lsit"].value).toBeUndefined();
  });

  it("prefixes paths", () => {
    expect(zodIssues(r.error, { input, prefix: "server" }).map((i) => i.path)).toContain("server.port");
  });

  it("without the input, values are what zod reported (none unless parsed with reportInput)", () => {
    const plain = zodIssues(r.error);
    expect(plain.find((i) => i.path === "mode")?.value).toBeUndefined();
    // A wrong type is not mistaken for a missing field.
    expect(plain.find((i) => i.path === "port")?.message).not.toMatch(/missing/);
    const reported = Schema.safeParse(input, { reportInput: true });
    if (reported.success) throw new Error("expected a failure");
    expect(zodIssues(reported.error).find((i) => i.path === "mode")?.value).toBe("c");
  });
});

describe("formatting", () => {
  it("one issue: path, value found, what was expected", () => {
    expect(formatSchemaIssue({ path: "motion.threshold", value: -5, message: "expected number to be >=1" })).toBe(
      "motion.threshold: got -5; expected number to be >=1",
    );
    expect(formatSchemaIssue({ path: "", message: "expected object" })).toBe("(root): expected object");
    expect(formatSchemaIssue({ path: "x", value: "y".repeat(200), message: "expected short" })).toMatch(
      /^x: got "y{76}\.\.\.; /,
    );
  });

  it("a schema's own message stays as written (zod's are rephrased as 'expected ...')", () => {
    const Box = z.object({
      box: z.tuple([z.number(), z.number()]).refine((b) => b[1] >= b[0], { message: "box must be [lo, hi]" }),
    });
    const r = Box.safeParse({ box: [2, 1] });
    if (r.success) throw new Error("expected a failure");
    expect(formatZodError(r.error)).toBe("box: box must be [lo, hi]");
  });

  it("a ZodError on one line", () => {
    const r = z.object({ a: z.number(), b: z.string() }).safeParse({ a: "1" });
    if (r.success) throw new Error("expected a failure");
    expect(formatZodError(r.error)).toBe("a: expected number; b: expected a value (string) but it is missing");
  });
});
