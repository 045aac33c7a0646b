/**
 * The one check for file paths built from request input (crop ids, the console's static files): the
 * path must resolve inside its directory. Everything else (ids' exact formats) is checked before,
 * this is the last line.
 */
import { resolve, sep } from "node:path";

/**
 * `root` joined with `parts`, or undefined when the result would leave `root` (`..`, an absolute
 * part, a NUL byte, which the file system calls would refuse with an error naming the path).
 */
export function insideDir(root: string, ...parts: string[]): string | undefined {
  if (parts.some((p) => p.includes("\0"))) return undefined;
  const base = resolve(root);
  // Leading "./": an absolute part is resolved under the root, as a URL path is.
  const file = resolve(base, ...parts.map((p) => `./${p}`));
  return file === base || file.startsWith(base + sep) ? file : undefined;
}
