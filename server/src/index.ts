export type { Config, ConfigInput } from "./config.ts";
export { loadConfig, parseConfig } from "./config.ts";
export type { RunningServer, StartOptions } from "./server.ts";
export { startServer } from "./server.ts";
export type { AgentCredentials } from "./services.ts";
