export * from "./agentFiles.ts";
export * from "./loader.ts";
export * from "./schema.ts";
