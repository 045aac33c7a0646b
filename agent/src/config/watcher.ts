/**
 * Watches a config directory (agent.yaml and cameras/) for changes: fs.watch for promptness, and
 * a periodic scan of names, sizes and modification times because fs.watch misses events on some
 * file systems (network mounts, editors that replace files).
 */
import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { CAMERA_DIR } from "./cameraFiles.ts";

function signature(configDir: string): string {
  const parts: string[] = [];
  const add = (p: string) => {
    try {
      const s = statSync(p);
      parts.push(`${p}:${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push(`${p}:-`);
    }
  };
  add(join(configDir, "agent.yaml"));
  try {
    for (const n of readdirSync(join(configDir, CAMERA_DIR)).sort()) add(join(configDir, CAMERA_DIR, n));
  } catch {
    parts.push("cameras:-");
  }
  return parts.join("|");
}

export class ConfigWatcher {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private last: string;

  constructor(
    private readonly configDir: string,
    private readonly onChange: () => void,
    pollMs = 2000,
    private readonly debounceMs = 250,
  ) {
    this.last = signature(configDir);
    for (const d of [configDir, join(configDir, CAMERA_DIR)]) {
      try {
        const w = watch(d, () => this.schedule());
        w.on("error", () => {});
        this.watchers.push(w);
      } catch {
        /* directory missing: the scan still notices it appearing */
      }
    }
    this.timer = setInterval(() => this.check(), pollMs);
    this.timer.unref();
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    // Editors write files in several steps: wait for quiet before reading.
    this.debounce = setTimeout(() => this.check(), this.debounceMs);
  }

  private check(): void {
    const s = signature(this.configDir);
    if (s === this.last) return;
    this.last = s;
    this.onChange();
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
