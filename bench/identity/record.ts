/**
 * The labelling harness: runs the agent's real pipeline (startAgent, in process, `fast`, file sink,
 * default camera settings at 5 fps) on the labelled videos and records every track: all its
 * detections over time (stream time, box, detector score, quality) and a crop of each detection
 * (the box grown 2x, box drawn). Writes, outside the repository:
 *   <out>/<camera>/tracks.json        tracks (numbered by first detection) with their detections and events
 *   <out>/<camera>/sheet-<k>.png       contact sheets: per track "#n" and a thumbnail of every detection
 *                                      with its stream time (s) and quality
 *   <out>/<camera>/crops/<n>-<k>.jpg   detection k of track n, full size
 *   <out>/events.jsonl (+ _crops/)     the file sink
 * A person looks at the sheets, writes bench/identity/labelling.json, and label-build.ts turns it
 * into bench/identity/labels.json.
 *
 *   pnpm exec tsx bench/identity/record.ts [--out /tmp/argus-identity] [--videos station,stage]
 *       [--phase <n>]      pin the full-frame phase (the agent's comes from the camera id)
 *       [--search full]    search every frame in full (no motion gating): what the detector can see
 *       [--camera '{"minFaceSize":16}']  other camera settings
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp, { type OverlayOptions } from "sharp";
import { startAgent } from "../../agent/src/index.ts";
import { createLogger, type FaceEvent } from "../../shared/src/index.ts";
import { installAgentTap, type TapCrop, type TapTrack } from "../lib/agentTap.ts";
import { requireData } from "../lib/data.ts";
import { VIDEOS } from "./videos.ts";

const THUMB = 84;
const CAP = 14;
const PER_ROW = 14;
const ROWS_PER_SHEET = 16;

const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(tmpdir(), "argus-identity") },
    videos: { type: "string" },
    camera: { type: "string", default: "{}" },
    phase: { type: "string" },
    search: { type: "string", default: "agent" },
  },
});
const videoDir = requireData("video");
const out = values.out;
const wanted = values.videos ? values.videos.split(",") : VIDEOS.map((v) => v.camera);
const videos = VIDEOS.filter((v) => wanted.includes(v.camera));
/** `full`: every analyzed frame searched in full (no motion gating): what the detector can see, a superset. */
const FULL_SEARCH = { motion: { enabled: false }, detection: { fullFrameEvery: 1, searchEvery: 1 } };
const camExtra = {
  ...(values.search === "full" ? FULL_SEARCH : {}),
  ...(JSON.parse(values.camera) as Record<string, unknown>),
};
const phase = values.phase === undefined ? undefined : Number(values.phase);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const cfg = mkdtempSync(join(tmpdir(), "argus-identity-cfg-"));
writeFileSync(join(cfg, "agent.yaml"), JSON.stringify({ id: "label", ops: { port: null } }));
mkdirSync(join(cfg, "cameras"));
for (const v of videos)
  writeFileSync(
    join(cfg, "cameras", `${v.camera}.yaml`),
    JSON.stringify({ id: v.camera, source: join(videoDir, v.file), ...camExtra }),
  );

const tap = installAgentTap({ cropFactor: 2, allCrops: true, phase: () => phase });
const t0 = performance.now();
const agent = await startAgent({
  configDir: cfg,
  output: join(out, "events.jsonl"),
  once: true,
  fast: true,
  opsPort: null,
  logger: createLogger("agent", "warn"),
});
const result = await agent.finished;
tap.remove();
rmSync(cfg, { recursive: true, force: true });
console.log(`agent finished in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${result.events} events`);

const events = readFileSync(join(out, "events.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as FaceEvent);

for (const v of videos) {
  const dir = join(out, v.camera);
  mkdirSync(join(dir, "crops"), { recursive: true });
  const tracks = (tap.tracks.get(v.camera) ?? []).sort((a, b) => a.dets[0].t - b.dets[0].t);
  const rows = tracks.map((tr, i) => ({
    n: i + 1,
    id: tr.id,
    dets: tr.dets.map((d) => [
      d.t,
      ...d.box.map((x: number) => Math.round(x)),
      Math.round(d.score * 1000) / 1000,
      d.quality === null ? null : Math.round(d.quality * 1000) / 1000,
    ]),
    events: events
      .filter((e) => e.cameraId === v.camera && e.trackId === tr.id)
      .map((e) => ({ eventId: e.eventId, t: e.streamTimeMs, box: e.box, quality: e.quality.score })),
  }));
  const frame = tracks[0]?.frame ?? events.find((e) => e.cameraId === v.camera)?.frame;
  writeFileSync(join(dir, "tracks.json"), JSON.stringify({ video: v.file, camera: v.camera, frame, tracks: rows }));
  for (const [i, tr] of tracks.entries())
    for (const [j, c] of (tr.crops ?? []).entries())
      await withBox(c).toFile(join(dir, "crops", `${i + 1}-${j + 1}.jpg`));
  const sheets = await contactSheets(tracks, dir);
  const evs = rows.filter((r) => r.events.length > 0).length;
  console.log(`${v.camera}: ${tracks.length} tracks (${evs} with events), ${sheets} sheet(s) in ${dir}`);
}

/** The crop with its detection's box drawn (for zooming in while labelling). */
function withBox(c: TapCrop) {
  const [x, y] = [c.box[0] - c.x0, c.box[1] - c.y0];
  const rect = `<svg width="${c.width}" height="${c.height}"><rect x="${x}" y="${y}" width="${c.box[2] - c.box[0]}" height="${c.box[3] - c.box[1]}" fill="none" stroke="#0f0" stroke-opacity="0.7" stroke-width="2"/></svg>`;
  return sharp(c.data, { raw: { width: c.width, height: c.height, channels: 3 } })
    .composite([{ input: Buffer.from(rect), left: 0, top: 0 }])
    .jpeg({ quality: 90 });
}

function jpeg(c: TapCrop) {
  return sharp(c.data, { raw: { width: c.width, height: c.height, channels: 3 } }).jpeg({ quality: 90 });
}

/**
 * Contact sheets: one block per track, "#n" then a thumbnail of every detection (the box grown 2x)
 * with its stream time (s) and quality underneath; long tracks wrap.
 */
async function contactSheets(tracks: TapTrack[], dir: string): Promise<number> {
  type Line = { tr: TapTrack; n: number; from: number };
  const lines: Line[] = [];
  for (const [i, tr] of tracks.entries())
    for (let f = 0; f < (tr.crops?.length ?? 0); f += PER_ROW) lines.push({ tr, n: i + 1, from: f });
  const lineH = THUMB + CAP + 4;
  const labelW = 44;
  const width = labelW + PER_ROW * (THUMB + 2);
  let k = 0;
  for (let s = 0; s < lines.length; s += ROWS_PER_SHEET, k++) {
    const part = lines.slice(s, s + ROWS_PER_SHEET);
    const height = part.length * lineH;
    const layers: OverlayOptions[] = [];
    let svg = "";
    for (const [r, l] of part.entries()) {
      const y = r * lineH;
      if (l.from === 0)
        svg += `<text x="2" y="${y + 18}" font-family="DejaVu Sans" font-size="15" font-weight="bold" fill="#ff0">#${l.n}</text>`;
      const crops = l.tr.crops!.slice(l.from, l.from + PER_ROW);
      for (const [j, c] of crops.entries()) {
        const x = labelW + j * (THUMB + 2);
        const input = await jpeg(c).resize(THUMB, THUMB, { fit: "contain", background: "#333" }).toBuffer();
        layers.push({ input, left: x, top: y });
        // The detection's box, as the thumbnail shows it (fit: contain).
        const k = Math.min(THUMB / c.width, THUMB / c.height);
        const ox = x + (THUMB - c.width * k) / 2;
        const oy = y + (THUMB - c.height * k) / 2;
        const [bx, by] = [ox + (c.box[0] - c.x0) * k, oy + (c.box[1] - c.y0) * k];
        svg += `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${((c.box[2] - c.box[0]) * k).toFixed(1)}" height="${((c.box[3] - c.box[1]) * k).toFixed(1)}" fill="none" stroke="#0f0" stroke-opacity="0.6" stroke-width="1"/>`;
        const q = c.quality === null ? "-" : c.quality.toFixed(2);
        svg += `<text x="${x + 1}" y="${y + THUMB + 12}" font-family="DejaVu Sans" font-size="11" fill="#fff">${(c.t / 1000).toFixed(1)} q${q}</text>`;
      }
    }
    const file = join(dir, `sheet-${k + 1}.png`);
    await sharp({ create: { width, height, channels: 3, background: "#000" } })
      .composite([
        ...layers,
        { input: Buffer.from(`<svg width="${width}" height="${height}">${svg}</svg>`), left: 0, top: 0 },
      ])
      .png()
      .toFile(file);
  }
  return k;
}
