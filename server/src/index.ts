export type { AgentCredentials } from "./api/services.ts";
export type { Config, ConfigInput } from "./config/config.ts";
export { loadConfig, parseConfig } from "./config/config.ts";
export type { RunningServer, StartOptions } from "./server.ts";
export { startServer } from "./server.ts";
