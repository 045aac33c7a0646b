// Worker bootstrap of FacePool (plain JavaScript: a worker does not inherit the parent's TypeScript
// loader, and `execArgv: ["--import", "tsx"]` does not apply to workers). A .ts entry gets tsx.
import { workerData } from "node:worker_threads";

if (workerData.entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(workerData.entry);
