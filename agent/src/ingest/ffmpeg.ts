/**
 * One ffmpeg run: decodes a source to full-resolution RGB frames at the analysis rate on stdout
 * and slices them exactly. The frame size comes from ffmpeg's own stderr ("Output #0 ... Video:
 * rawvideo ... 1920x1080"), so no ffprobe is needed.
 */
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import ffmpeg from "fluent-ffmpeg";
import { FrameSlicer } from "./slicer.ts";
import { type FfmpegPlan, parseInputStream, parseOutputStream } from "./source.ts";

const require = createRequire(import.meta.url);
/** The static ffmpeg binary shipped in the npm package (no system ffmpeg needed). */
export const FFMPEG_PATH: string = process.env.ARGUS_FFMPEG_PATH ?? require("@ffmpeg-installer/ffmpeg").path;
ffmpeg.setFfmpegPath(FFMPEG_PATH);

export interface StreamInfo {
  width: number;
  height: number;
  /** Output (analysis) frame rate. */
  fps: number;
  inputCodec?: string;
  inputFps?: number;
}

export interface FfmpegHandlers {
  onInfo(info: StreamInfo): void;
  /** Frame `index` of this run (0-based), RGB24, width*height*3 bytes. */
  onFrame(data: Buffer, index: number): void;
  /** The run is over: `error` is undefined when ffmpeg reached the end of the input. */
  onEnd(error: Error | undefined): void;
}

/** Stderr lines that explain a failure better than "exited with code 1". */
const ERROR_LINE =
  /(error|invalid|not found|no such|refused|unauthorized|denied|timed out|unable|could not|failed|moov atom|end of file|broken|unsupported)/i;

export class FfmpegRun {
  private readonly command: ffmpeg.FfmpegCommand;
  private stdout: Readable | undefined;
  private slicer: FrameSlicer | undefined;
  private early: Buffer[] = [];
  private frames = 0;
  private inputInfo: { codec: string; fps?: number } | undefined;
  private errorLines: string[] = [];
  private ended = false;
  private stopping = false;
  private paused = false;
  private outEnded = false;
  private procResult: { err: Error | undefined } | undefined;

  constructor(
    input: string,
    plan: FfmpegPlan,
    opts: { fps: number; alloc?: (bytes: number) => Buffer },
    private readonly h: FfmpegHandlers,
  ) {
    this.command = ffmpeg(input, { stdoutLines: 20 })
      .inputOptions(plan.inputOptions)
      .outputOptions(plan.outputOptions)
      .on("stderr", (line: string) => {
        if (!this.inputInfo) {
          const i = parseInputStream(line);
          if (i) this.inputInfo = { codec: i.codec, fps: i.fps };
        }
        if (!this.slicer) {
          const o = parseOutputStream(line);
          if (o) {
            const fps = o.fps ?? opts.fps;
            h.onInfo({
              width: o.width,
              height: o.height,
              fps,
              inputCodec: this.inputInfo?.codec,
              inputFps: this.inputInfo?.fps,
            });
            this.slicer = new FrameSlicer(o.width * o.height * 3, (f) => h.onFrame(f, this.frames++), opts.alloc);
            // Bytes that raced ahead of the stderr header.
            for (const c of this.early) this.slicer.push(c);
            this.early = [];
          }
        }
        if (ERROR_LINE.test(line) && !/^\s*(frame=|Stream mapping|Press)/.test(line)) {
          this.errorLines.push(line.trim());
          if (this.errorLines.length > 5) this.errorLines.shift();
        }
      })
      // The process may exit before Node has read all of stdout (or after): the run ends when both are done.
      .on("error", (err: Error) => this.processDone(err))
      .on("end", () => this.processDone(undefined));
    const out = this.command.pipe() as Readable;
    this.stdout = out;
    out.on("data", (chunk: Buffer) => {
      if (this.slicer) this.slicer.push(chunk);
      else this.early.push(chunk);
    });
    out.on("end", () => {
      this.outEnded = true;
      this.finish();
    });
    out.on("error", () => {
      /* reported through the command's 'error' */
    });
  }

  private processDone(err: Error | undefined): void {
    if (this.procResult) return;
    // fluent-ffmpeg reports "Output stream closed" when stdout closes before the exit status arrives.
    this.procResult = { err: err && !(this.outEnded && /Output stream closed/.test(err.message)) ? err : undefined };
    this.finish();
  }

  private finish(): void {
    if (this.ended || !this.procResult || !this.outEnded) return;
    this.ended = true;
    this.h.onEnd(this.outcome());
  }

  /** undefined for a normal end (or a stop), else the error with ffmpeg's own explanation. */
  private outcome(): Error | undefined {
    const err = this.procResult?.err;
    if (this.stopping) return undefined;
    if (err) {
      const detail = this.errorLines.length ? this.errorLines.join(" | ") : err.message.split("\n")[0];
      return new Error(`ffmpeg failed: ${detail}`);
    }
    if (this.frames === 0) {
      const detail = this.errorLines.length ? `: ${this.errorLines.join(" | ")}` : "";
      return new Error(`ffmpeg produced no frame${detail}`);
    }
    return undefined;
  }

  get framesOut(): number {
    return this.frames;
  }

  /** Backpressure for sources that can wait (files): ffmpeg blocks on its full stdout pipe. */
  pause(): void {
    if (!this.paused && this.stdout) {
      this.paused = true;
      this.stdout.pause();
    }
  }

  resume(): void {
    if (this.paused && this.stdout) {
      this.paused = false;
      this.stdout.resume();
    }
  }

  /** Ends the run; onEnd is called (without error) once ffmpeg is gone. */
  stop(): void {
    if (this.ended) return;
    this.stopping = true;
    this.resume();
    this.command.kill("SIGKILL");
  }
}
