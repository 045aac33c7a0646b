/**
 * Bulk enrolment: which person each file of a folder, a zip archive or a selection of files is a
 * photo of, from its path alone. Pure (server, command line and console use it).
 *
 * Rules, in order:
 * - Folders and system files are ignored, silently: a path with a segment starting with "." (`.DS_Store`,
 *   macOS's `._photo.jpg`, `.git/`), a `__MACOSX` segment, `Thumbs.db`, `desktop.ini`, and directory entries.
 * - A file that is not a JPEG, PNG or WebP by its extension is refused (NOT_AN_IMAGE).
 * - A file inside a folder is a photo of the person its innermost folder names: `Mary_Ann/photo.jpg` and
 *   `staff/Mary Ann/IMG_1234.jpg` are "Mary Ann" (the file name does not matter then).
 * - A file at the top (or in the one folder that wraps everything, when that folder also holds person
 *   folders: `staff/Alice/1.jpg` beside `staff/Bob_1.jpg`) is named by its file name: the extension and
 *   a trailing number (`_2`, `-2`, ` 2`, ` (2)`, `2`) are dropped: `Mary_Ann_2.jpg`, `Mary_Ann.jpg`,
 *   `Mary Ann (2).jpg` and `Mary Ann2.jpg` are all "Mary Ann" (a name that ends with a number needs a
 *   folder: `R2D2/a.jpg`). A file name that is only a number gives no name (NO_NAME).
 * - In names, underscores are spaces; runs of spaces become one; the name is trimmed (Unicode NFC) and
 *   at most 200 characters (else NO_NAME).
 *
 * The person is then found by that exact name (server/src/identify/bulkEnrol.ts).
 */

export const IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"] as const;

/** The longest person name (the API's `personName`). */
export const MAX_PERSON_NAME = 200;

export type PlannedFile =
  /** A photo of `person`. */
  | { path: string; kind: "photo"; person: string }
  /** Refused before any upload: the code and a message for the operator. */
  | { path: string; kind: "refused"; code: "NOT_AN_IMAGE" | "NO_NAME"; message: string }
  /** A folder entry or a system file: left out of the report's counts of photos. */
  | { path: string; kind: "ignored"; reason: "folder" | "system" };

const SYSTEM_FILES = new Set(["thumbs.db", "desktop.ini", "__macosx", "icon\r"]);

/** The path's segments, with `\` as a separator too and empty or `.` segments dropped. */
export function pathSegments(path: string): string[] {
  return path.split(/[/\\]+/).filter((s) => s !== "" && s !== ".");
}

/** Underscores as spaces, one space between words, trimmed, NFC; "" when nothing is left. */
export function cleanName(raw: string): string {
  return raw.normalize("NFC").replace(/_/g, " ").replace(/\s+/g, " ").trim();
}

/** The person a file name names: extension and trailing number dropped ("Mary_Ann_2.jpg" -> "Mary Ann"). */
export function nameFromFileName(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  const name = cleanName(stem)
    .replace(/\s*\(\d+\)$/, "") // "Alice (2)"
    .replace(/[\s-]*\d+$/, "") // "Alice 2" (from Alice_2), "Alice-2", "alice2"
    .trim();
  return /^\d*$/.test(name) ? "" : name;
}

const extensionOf = (fileName: string) => {
  const dot = fileName.lastIndexOf(".");
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : "";
};

function isSystem(segments: string[]): boolean {
  return segments.some((s) => s.startsWith(".") || SYSTEM_FILES.has(s.toLowerCase()));
}

/**
 * Each path's plan, in the given order. `paths` are the archive's entries, or the files' paths
 * relative to the chosen folder, or bare file names. A path ending with `/` is a folder entry.
 */
export function planBulk(paths: readonly string[]): PlannedFile[] {
  const parts = paths.map((p) => ({ path: p, folder: /[/\\]$/.test(p), segs: pathSegments(p) }));
  const files = parts.filter((p) => !p.folder && p.segs.length > 0 && !isSystem(p.segs));
  // One folder wrapping everything that also holds person folders is the archive's own folder.
  const tops = new Set(files.map((f) => (f.segs.length > 1 ? f.segs[0] : "")));
  const wrapped = tops.size === 1 && !tops.has("") && files.some((f) => f.segs.length > 2);
  return parts.map(({ path, folder, segs }): PlannedFile => {
    if (folder || segs.length === 0) return { path, kind: "ignored", reason: "folder" };
    if (isSystem(segs)) return { path, kind: "ignored", reason: "system" };
    const fileName = segs[segs.length - 1];
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(extensionOf(fileName)))
      return {
        path,
        kind: "refused",
        code: "NOT_AN_IMAGE",
        message: `not a photo: only ${IMAGE_EXTENSIONS.map((e) => `.${e}`).join(", ")} files are enrolled`,
      };
    const folders = segs.slice(wrapped ? 1 : 0, -1);
    const name = folders.length ? cleanName(folders[folders.length - 1]) : nameFromFileName(fileName);
    if (!name || name.length > MAX_PERSON_NAME)
      return {
        path,
        kind: "refused",
        code: "NO_NAME",
        message: name
          ? `the person's name is longer than ${MAX_PERSON_NAME} characters`
          : "no person name in the path: put the photo in a folder named after the person, or name it like Name_1.jpg",
      };
    return { path, kind: "photo", person: name };
  });
}
