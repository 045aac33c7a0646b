/**
 * Event latency in realtime best-shot mode with a real Mosquitto: from the moment a best shot is
 * chosen to the broker's PUBACK (embedding, JPEG crops, spool write with fsync, publish), and from
 * the frame's arrival from ffmpeg to the PUBACK. Videos play at their native rate, like cameras.
 *
 *   pnpm exec tsx bench/agent-latency.ts [rounds=2]
 */

import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { startAgent } from "../agent/src/index.ts";
import { aclFor, createBroker, HAS_MOSQUITTO } from "../agent/test/helpers/mosquitto.ts";
import { createLogger } from "../shared/src/util/log.ts";
import { quantile } from "../shared/src/util/stats.ts";
import { configDir, fmt, OUT, requireData, VIDEO_DIR } from "./agent-lib.ts";

requireData();
if (!existsSync(join(OUT, "quiet-1080p.mp4"))) {
  console.error("run bench/agent-streams.ts first: it makes bench/out/quiet-1080p.mp4");
  process.exit(2);
}
if (!HAS_MOSQUITTO) {
  console.error("needs Mosquitto (/usr/sbin/mosquitto, Debian package mosquitto)");
  process.exit(2);
}
const ROUNDS = Number(process.argv[2] ?? 2);
const broker = await createBroker({ bench: "bench-pw" }, aclFor(["bench"]));
await broker.start();

const realtime = { mode: "realtime", minIntervalMs: 1000, improvement: 0.05 };
// Files played as live cameras: at their rate, stale frames dropped, tracks aged by the wall clock.
const asCamera = { fileRate: "camera" };
const scenarios: [string, Record<string, object>][] = [
  [
    "1 busy 1080p stream (station)",
    { s: { id: "s", source: join(VIDEO_DIR, "station-crowd-1080p.mp4"), bestShot: realtime, ...asCamera } },
  ],
  [
    "4 streams: station 1080p + 3 others",
    {
      s: { id: "s", source: join(VIDEO_DIR, "station-crowd-1080p.mp4"), bestShot: realtime, ...asCamera },
      a: { id: "a", source: join(VIDEO_DIR, "talking-head-1.mp4"), bestShot: realtime, ...asCamera },
      b: {
        id: "b",
        source: join(VIDEO_DIR, "stage-small-faces-360p.mp4"),
        minFaceSize: 20,
        bestShot: realtime,
        ...asCamera,
      },
      c: { id: "c", source: join(OUT, "quiet-1080p.mp4"), bestShot: realtime, ...asCamera },
    },
  ],
];

console.log(
  `load average at start: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")} (other work on this machine skews figures)`,
);
console.log(
  "scenario                             | events | shot->PUBACK median / p95 / max ms | frame->PUBACK median / p95 ms",
);
console.log(
  "-------------------------------------|--------|------------------------------------|------------------------------",
);
for (const [name, cams] of scenarios) {
  const shot: number[] = [];
  const frame: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const dir = configDir(
      {
        id: "bench",
        broker: { url: broker.url, username: "bench", password: "bench-pw" },
        spool: { dir: "spool" },
        ops: { port: null },
      },
      Object.fromEntries(
        Object.entries(cams).filter(([, c]) => !(c as { source: string }).source.endsWith("quiet-1080p.mp4") || true),
      ),
    );
    const agent = await startAgent({
      configDir: dir,
      once: true,
      processMetrics: false,
      logger: createLogger("agent", "warn"),
      onAcked: (i) => {
        shot.push(i.shotToAckMs);
        frame.push(i.frameToAckMs);
      },
    });
    await agent.finished;
  }
  console.log(
    `${name.padEnd(36)} | ${String(shot.length).padStart(6)} | ${`${fmt(quantile(shot, 0.5), 0)} / ${fmt(quantile(shot, 0.95), 0)} / ${fmt(Math.max(...shot), 0)}`.padStart(34)} | ${`${fmt(quantile(frame, 0.5), 0)} / ${fmt(quantile(frame, 0.95), 0)}`.padStart(28)}`,
  );
}
console.log("goal: p95 shot->PUBACK <= 300 ms");
await broker.stop();
