/**
 * pnpm run schemas: writes the JSON Schemas of the config files (schemas/*.schema.json) and the
 * settings tables of agent/README.md and server/README.md, from the zod schemas. test/schemas.test.ts
 * fails when what is committed differs from what this makes.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigSchema, ENV_VARS } from "../server/src/config/config.ts";
import { AGENT_ENV_VARS } from "../shared/src/config/agentFiles.ts";
import {
  configJsonSchema,
  type JsonSchema,
  replaceGenerated,
  settingRows,
  settingsTable,
} from "../shared/src/config/jsonSchema.ts";
import { AgentSchema, CameraSchema, CameraSettingsSchema } from "../shared/src/config/schema.ts";

export const ROOT = resolve(import.meta.dirname, "..");

/** schemas/<name> -> its JSON Schema. */
export function schemas(): Record<string, JsonSchema> {
  const agent = configJsonSchema(AgentSchema, {
    title: "Argus agent: agent.yaml",
    description: "Settings of an Argus edge agent (agent.yaml in its config directory)",
  });
  // cameraDefaults is kept raw until merged under each camera file; editors can still check it.
  const settings = configJsonSchema(CameraSettingsSchema, { title: "", description: "" });
  delete settings.$schema;
  delete settings.title;
  const props = agent.properties as Record<string, JsonSchema>;
  props.cameraDefaults = { ...settings, default: {}, description: props.cameraDefaults.description };
  return {
    "agent.schema.json": agent,
    "camera.schema.json": configJsonSchema(CameraSchema, {
      title: "Argus agent: camera file",
      description: "One camera of an Argus edge agent (cameras/<name>.yaml in its config directory)",
    }),
    "server.schema.json": configJsonSchema(ConfigSchema, {
      title: "Argus server settings",
      description: "Settings file of the Argus server (--config or ARGUS_CONFIG; YAML or JSON)",
    }),
  };
}

/** README -> marker name -> generated table. */
export function tables(): Record<string, Record<string, string>> {
  const s = schemas();
  return {
    "agent/README.md": {
      agent: settingsTable(settingRows(s["agent.schema.json"], { env: AGENT_ENV_VARS, keep: ["cameraDefaults"] })),
      camera: settingsTable(settingRows(s["camera.schema.json"])),
    },
    "server/README.md": { server: settingsTable(settingRows(s["server.schema.json"], { env: ENV_VARS })) },
  };
}

export function updatedReadme(file: string, text: string): string {
  let out = text;
  for (const [name, table] of Object.entries(tables()[file])) out = replaceGenerated(out, name, table);
  return out;
}

function main(): void {
  const files = Object.entries(schemas()).map(([name, json]) => {
    const path = join(ROOT, "schemas", name);
    writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
    return path;
  });
  // The committed files are in Biome's format (the lint checks them); the test compares content.
  execFileSync(join(ROOT, "node_modules/.bin/biome"), ["format", "--write", ...files], { stdio: "inherit" });
  for (const file of Object.keys(tables())) {
    const path = join(ROOT, file);
    writeFileSync(path, updatedReadme(file, readFileSync(path, "utf8")));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
