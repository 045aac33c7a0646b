/**
 * Frames of a video file as the agent analyzes them: ffmpeg with the agent's filter (`fps=<fps>`,
 * RGB), so frame n is the one the agent sees at stream time n * 1000 / fps ms.
 */
import { spawn } from "node:child_process";
import { FFMPEG_PATH } from "../../agent/src/ingest/ffmpeg.ts";

/** The frames with the given indices (others are read and dropped), as RGB buffers. */
export function readFrames(
  file: string,
  size: { width: number; height: number },
  indices: Iterable<number>,
  fps = 5,
): Promise<Map<number, Buffer>> {
  const want = new Set(indices);
  const frameBytes = size.width * size.height * 3;
  const out = new Map<number, Buffer>();
  return new Promise((resolve, reject) => {
    const p = spawn(
      FFMPEG_PATH,
      [
        "-nostdin",
        "-loglevel",
        "error",
        "-i",
        file,
        "-an",
        "-sn",
        "-dn",
        "-vf",
        `fps=${fps}`,
        "-pix_fmt",
        "rgb24",
        "-f",
        "rawvideo",
        "-",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let index = 0;
    let err = "";
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    p.stdout.on("data", (d: Buffer) => {
      pending.push(d);
      pendingBytes += d.length;
      while (pendingBytes >= frameBytes) {
        const all = Buffer.concat(pending);
        if (want.has(index)) out.set(index, Buffer.from(all.subarray(0, frameBytes)));
        index++;
        const rest = all.subarray(frameBytes);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
    });
    p.once("error", reject);
    p.once("close", (code) => {
      if (code !== 0) reject(new Error(`ffmpeg exited ${code} on ${file}: ${err.trim()}`));
      else resolve(out);
    });
  });
}
