import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/config.ts";
import { isSecretKey, REDACTED, redactSettings, redactString } from "../src/config/redact.ts";

describe("settings redaction", () => {
  it("replaces values under secret keys, at any depth, and lists their paths", () => {
    const { settings, redacted } = redactSettings({
      mqtt: { username: "argus", password: "hunter2", port: 1883 },
      console: { secureCookies: "auto", sessionSecret: "s3cr3t" },
      integrations: [{ apiKey: "k", name: "ha" }],
      admin: { adminToken: "t", token: undefined },
    });
    expect(settings).toEqual({
      mqtt: { username: "argus", password: REDACTED, port: 1883 },
      console: { secureCookies: "auto", sessionSecret: REDACTED },
      integrations: [{ apiKey: REDACTED, name: "ha" }],
      admin: { adminToken: REDACTED, token: undefined },
    });
    expect(redacted.sort()).toEqual([
      "admin.adminToken",
      "console.sessionSecret",
      "integrations[0].apiKey",
      "mqtt.password",
    ]);
  });

  it("removes credentials from URLs of any scheme, multi-host MongoDB URLs too, and secret query parameters", () => {
    expect(redactString("mongodb://root:pa%40ss@db1:27017,db2:27017/argus?authSource=admin")).toBe(
      `mongodb://${REDACTED}@db1:27017,db2:27017/argus?authSource=admin`,
    );
    expect(redactString("mongodb+srv://u:p@cluster.example.net/x")).toBe(
      `mongodb+srv://${REDACTED}@cluster.example.net/x`,
    );
    expect(redactString("mqtt://agent:secret@broker:1883")).toBe(`mqtt://${REDACTED}@broker:1883`);
    expect(redactString("https://hooks.example/x?token=abc&x=1")).toBe(`https://hooks.example/x?token=${REDACTED}&x=1`);
    expect(redactString("mqtt://broker:1883")).toBe("mqtt://broker:1883");
    expect(redactString("/var/lib/argus")).toBe("/var/lib/argus");
    expect(isSecretKey("secureCookies")).toBe(false);
    expect(isSecretKey("webhookSecret")).toBe(true);
  });

  it("the server's real configuration keeps no secret", () => {
    const config = parseConfig({
      dataDir: "/tmp/argus",
      mqtt: { url: "mqtt://srv:mqttpass@broker:1883", username: "srv", password: "mqttpass" },
      store: { mongodbUrl: "mongodb://admin:dbpass@mongo:27017/argus" },
    });
    const { settings, redacted } = redactSettings(config);
    const text = JSON.stringify(settings);
    expect(text).not.toContain("mqttpass");
    expect(text).not.toContain("dbpass");
    expect(text).toContain("broker:1883");
    expect(redacted).toEqual(expect.arrayContaining(["mqtt.url", "mqtt.password", "store.mongodbUrl"]));
  });
});
