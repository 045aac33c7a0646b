/** What a camera's `source` string is, and the ffmpeg arguments that read it. Pure. */
import { isAbsolute, resolve } from "node:path";

export type SourceKind = "rtsp" | "file" | "v4l2" | "lavfi";

export interface Source {
  kind: SourceKind;
  /** What ffmpeg opens (absolute path for files). */
  input: string;
  /** Live sources cannot be paused or replayed: they reconnect, and drop frames when analysis is slow. */
  live: boolean;
}

/** Classifies a source; relative file paths are resolved against `baseDir` (the config directory). */
export function parseSource(source: string, baseDir: string): Source {
  if (/^rtsps?:\/\//i.test(source)) return { kind: "rtsp", input: source, live: true };
  if (/^(https?|rtmp|srt|udp|tcp):\/\//i.test(source)) return { kind: "rtsp", input: source, live: true };
  if (source.startsWith("lavfi:")) return { kind: "lavfi", input: source.slice("lavfi:".length), live: false };
  if (/^\/dev\/video\d+$/.test(source)) return { kind: "v4l2", input: source, live: true };
  const path = source.startsWith("file://") ? new URL(source).pathname : source;
  return { kind: "file", input: isAbsolute(path) ? path : resolve(baseDir, path), live: false };
}

export interface FfmpegPlan {
  inputOptions: string[];
  outputOptions: string[];
}

/**
 * Full-resolution RGB frames at the analysis rate on stdout. The fps filter drops frames inside
 * ffmpeg, so only the kept frames are converted and piped (decoding itself cannot be skipped).
 */
/** ffmpeg's decoding threads per camera (unless its inputOptions say otherwise). */
export const DECODE_THREADS = 1;

export function ffmpegPlan(
  src: Source,
  o: { fps: number; maxWidth: number; realtime: boolean; inputOptions: readonly string[]; loop?: boolean },
): FfmpegPlan {
  const input: string[] = ["-nostdin"];
  const has = (opt: string) => o.inputOptions.includes(opt);
  if (src.kind === "rtsp" && src.input.toLowerCase().startsWith("rtsp") && !has("-rtsp_transport")) {
    // TCP survives packet loss without smeared frames; override with inputOptions if needed.
    input.push("-rtsp_transport", "tcp");
  }
  if (src.kind === "v4l2" && !has("-f")) input.push("-f", "video4linux2");
  if (src.kind === "lavfi") input.push("-f", "lavfi");
  if (!src.live && o.realtime && !has("-re")) input.push("-re");
  // A looping file never ends: frame indexes (stream time) keep growing across its restarts.
  if (src.kind === "file" && o.loop && !has("-stream_loop")) input.push("-stream_loop", "-1");
  // One decoding thread: a 1080p25 H.264 stream decodes several times faster than real time on one
  // core, and with many streams on few cores frame threads only add work (the station crowd:
  // 1.79 CPU s instead of 2.0 for 12.6 s of video). inputOptions ["-threads", "0"] restores ffmpeg's choice.
  if (!has("-threads")) input.push("-threads", String(DECODE_THREADS));
  input.push(...o.inputOptions);
  const filters = [`fps=${o.fps}`];
  if (o.maxWidth > 0) filters.push(`scale='min(${o.maxWidth},iw)':-2`);
  return {
    inputOptions: input,
    outputOptions: ["-an", "-sn", "-dn", "-vf", filters.join(","), "-pix_fmt", "rgb24", "-f", "rawvideo"],
  };
}

/** Parses the output video size and rate from ffmpeg's stderr line "Stream #0:0: Video: rawvideo (...), rgb24, 1920x1080, ..., 5 fps". */
export function parseOutputStream(line: string): { width: number; height: number; fps?: number } | undefined {
  if (!/Stream #\d+:\d+.*Video: rawvideo/.test(line)) return undefined;
  const m = /,\s*(\d{2,5})x(\d{2,5})[\s,[]/.exec(line);
  if (!m) return undefined;
  const f = /,\s*([\d.]+)\s*fps/.exec(line);
  return { width: Number(m[1]), height: Number(m[2]), fps: f ? Number(f[1]) : undefined };
}

/** Parses an input video stream line ("Stream #0:0(und): Video: h264 (High) ..., 1920x1080 ..., 25 fps"). */
export function parseInputStream(
  line: string,
): { codec: string; width: number; height: number; fps?: number } | undefined {
  const m = /Stream #\d+:\d+.*Video: (\w+).*?,\s*(\d{2,5})x(\d{2,5})[\s,[]/.exec(line);
  if (!m || m[1] === "rawvideo") return undefined;
  const f = /,\s*([\d.]+)\s*fps/.exec(line);
  return { codec: m[1], width: Number(m[2]), height: Number(m[3]), fps: f ? Number(f[1]) : undefined };
}

/** Redacts credentials in a source for logs and status (rtsp://user:pass@host). */
export function describeSource(src: Source): string {
  return src.input.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
