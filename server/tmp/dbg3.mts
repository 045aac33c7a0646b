import { Mosquitto } from "../test/helpers.ts";

const m = new Mosquitto();
try {
  await m.start({ server: "a", x: "b" });
  console.log("ok", m.url());
} catch (e) {
  console.log("fail", (e as Error).message);
}
console.log(m.dir);
await m.stop();
