export * from "./agentFiles.ts";
export * from "./jsonSchema.ts";
export * from "./loader.ts";
export * from "./schema.ts";
