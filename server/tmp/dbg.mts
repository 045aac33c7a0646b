import { topics } from "@argus/shared";
import { startServer } from "../src/server.ts";
import { agentClient, bbt, faceEvent, freePort, realFaces, tempDir } from "../test/helpers.ts";

const faces = await realFaces(["penny1", "sheldon1", "amy1"].map(bbt));
const dataDir = tempDir();
const mqttPort = await freePort();
const config = {
  dataDir,
  http: { port: 0, host: "127.0.0.1" },
  mqtt: { port: mqttPort, host: "127.0.0.1" },
  log: { level: "warn" },
};
let server = await startServer({ config });
const creds = await server.registerAgent("a");
const c = await agentClient(creds.mqtt.url, "a", creds.mqtt.password!);
let acked = 0;
const N = 100;
const acks = [];
for (let i = 0; i < N; i++) {
  const e = faceEvent(faces[i % 3], {
    agentId: "a",
    cameraId: "d",
    trackId: `t${i}`,
    capturedAt: new Date(1e12 + i * 1000),
  });
  acks.push(
    new Promise<void>((res) =>
      c.publish(topics().faces("a", "d"), JSON.stringify(e), { qos: 1 }, (err) => {
        if (err) console.log("puberr", err.message);
        acked++;
        res();
      }),
    ),
  );
  if (i === 30) {
    console.log("stopping at", i, "acked", acked, "stored", await server.services.store.countSightings());
    await server.stop();
    console.log("stopped; outgoing", Object.keys((c as any).outgoing).length);
    server = await startServer({ config });
    console.log("restarted; stored", await server.services.store.countSightings());
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.race([Promise.all(acks), new Promise((r) => setTimeout(r, 5000))]);
console.log("acked", acked, "stored", await server.services.store.countSightings(), "connected", c.connected);
c.end(true);
await server.stop();
