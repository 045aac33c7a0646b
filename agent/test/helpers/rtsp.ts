/** A real RTSP server for tests: ../shared/tools/rtsp-serve.py (GStreamer) run with Debian's python3. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { RTSP_SERVE } from "./env.ts";

export const PYTHON = "/usr/bin/python3";
export const HAS_RTSP = existsSync(PYTHON) && existsSync(RTSP_SERVE);

export interface RtspServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function startRtsp(file: string, port: number): Promise<RtspServer> {
  return new Promise((resolve, reject) => {
    const proc = spawn(PYTHON, [RTSP_SERVE, file, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`rtsp-serve.py did not start: ${err}`));
    }, 15_000);
    proc.stderr!.on("data", (d) => {
      err += d;
    });
    proc.stdout!.on("data", (d) => {
      if (String(d).includes("rtsp ready")) {
        clearTimeout(timer);
        resolve({
          url: `rtsp://127.0.0.1:${port}/cam`,
          proc,
          stop: () =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once("exit", () => r());
              proc.kill("SIGKILL");
            }),
        });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp-serve.py exited (${code}): ${err}`));
    });
  });
}
