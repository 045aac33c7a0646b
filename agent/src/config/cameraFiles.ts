/**
 * The camera files of a config directory (`cameras/*.yaml`), each validated on its own: a bad file
 * disables only its camera and is reported with the file, field, value and what was expected.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCameraConfig } from "@argus/shared/config/agentFiles";
import { type ConfigIssue, formatIssues, parseYaml } from "@argus/shared/config/loader";
import type { CameraConfig } from "@argus/shared/config/schema";

export interface CameraEntry {
  file: string;
  camera: CameraConfig;
  /** Canonical JSON of the effective config: a change means the camera restarts. */
  key: string;
}

export interface ConfigProblem {
  file: string;
  /** The camera id, when the file got far enough to have one. */
  cameraId?: string;
  message: string;
  issues?: ConfigIssue[];
}

export interface CameraSet {
  cameras: Map<string, CameraEntry>;
  problems: ConfigProblem[];
}

export const CAMERA_DIR = "cameras";
const YAML = /\.ya?ml$/i;

/** Reads every camera file; never throws on file content. */
export function readCameraDir(configDir: string, defaults: Record<string, unknown>): CameraSet {
  const dir = join(configDir, CAMERA_DIR);
  const cameras = new Map<string, CameraEntry>();
  const problems: ConfigProblem[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => YAML.test(n) && !n.startsWith("."))
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      problems.push({ file: dir, message: `${dir}: cannot list camera files (${(e as Error).message})` });
    }
    return { cameras, problems };
  }
  for (const n of names) {
    const file = join(dir, n);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      problems.push({ file, message: `${file}: cannot read (${(e as Error).message})` });
      continue;
    }
    const r = parseCameraConfig(text, file, defaults);
    if (!r.ok) {
      const y = parseYaml(text, file);
      const raw = y.ok && y.value && typeof y.value === "object" ? (y.value as { id?: unknown }).id : undefined;
      // The camera's id, if the file names a usable one, so its status can be reported under it.
      const id = typeof raw === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(raw) ? raw : undefined;
      problems.push({ file, cameraId: id, message: formatIssues(r.issues), issues: r.issues });
      continue;
    }
    const other = cameras.get(r.value.id);
    if (other) {
      problems.push({
        file,
        cameraId: r.value.id,
        message: `${file}: field 'id': got "${r.value.id}"; expected an id not used by another camera (${other.file} has it)`,
      });
      continue;
    }
    cameras.set(r.value.id, { file, camera: r.value, key: JSON.stringify(r.value) });
  }
  return { cameras, problems };
}
