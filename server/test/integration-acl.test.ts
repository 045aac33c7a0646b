/** The integration accounts' topic rules (ingest/acl.ts) and Home Assistant's object ids: pure functions. */
import { describe, expect, it } from "vitest";
import { filterWithin, integrationOwnsClientId, mayRead, scopeFilters } from "../src/ingest/acl.ts";
import { objectId } from "../src/notify/homeAssistant.ts";

describe("integration ACL", () => {
  it("a filter is within an allowed one only when every topic it matches is", () => {
    const yes: Array<[string, string]> = [
      ["argus/v1/alerts", "argus/v1/alerts"],
      ["argus/v1/agents/a/status", "argus/v1/agents/+/status"],
      ["argus/v1/agents/+/status", "argus/v1/agents/+/status"],
      ["homeassistant/#", "homeassistant/#"],
      ["homeassistant/sensor/+/x/config", "homeassistant/#"],
      ["homeassistant", "homeassistant/#"], // 'a/#' matches 'a' itself
    ];
    const no: Array<[string, string]> = [
      ["argus/v1/#", "argus/v1/alerts"],
      ["#", "homeassistant/#"],
      ["+/v1/alerts", "argus/v1/alerts"],
      ["argus/v1/agents/+/+", "argus/v1/agents/+/status"],
      ["argus/v1/agents/a/cameras/c/faces", "argus/v1/agents/+/status"],
      ["argus/v1/alerts/x", "argus/v1/alerts"],
      ["argus/v1", "argus/v1/alerts"],
      ["$share/g/argus/v1/alerts", "argus/v1/alerts"],
      ["homeassistantx/#", "homeassistant/#"],
    ];
    for (const [f, a] of yes) expect(filterWithin(f, a), `${f} within ${a}`).toBe(true);
    for (const [f, a] of no) expect(filterWithin(f, a), `${f} within ${a}`).toBe(false);
  });

  it("scopes give their topics, never the agents' face topics", () => {
    const o = { prefix: "argus", discoveryPrefix: "homeassistant" };
    expect(scopeFilters(["alerts"], o)).toEqual(["argus/v1/alerts"]);
    const all = scopeFilters(["alerts", "sightings", "status", "homeassistant"], o);
    expect(all.sort()).toEqual(
      [
        "argus/v1/alerts",
        "argus/v1/sightings",
        "argus/v1/server/status",
        "argus/v1/agents/+/status",
        "argus/v1/agents/+/cameras/+/status",
        "argus/v1/ha/#",
        "homeassistant/#",
      ].sort(),
    );
    for (const f of ["argus/v1/agents/+/cameras/+/faces", "argus/v1/agents/a/cameras/c/faces", "argus/#"])
      expect(mayRead(f, all), f).toBe(false);
    expect(scopeFilters(["homeassistant"], { prefix: "site/x", discoveryPrefix: "ha" })).toEqual([
      "ha/#",
      "site/x/v1/ha/#",
      "site/x/v1/server/status",
    ]);
  });

  it("client ids: argus-integration-<name>[:<anything>] only", () => {
    expect(integrationOwnsClientId("ha", "argus-integration-ha")).toBe(true);
    expect(integrationOwnsClientId("ha", "argus-integration-ha:2")).toBe(true);
    expect(integrationOwnsClientId("ha", "argus-integration-ha2")).toBe(false);
    expect(integrationOwnsClientId("ha", "argus-agent-ha")).toBe(false);
  });

  it("Home Assistant object ids are one to one and of [A-Za-z0-9_-] only", () => {
    const ids = ["a.b", "a_b", "a-b", "a_2eb", "cam 1", "é", "€", "_e2_82_ac", "😀"];
    const out = ids.map(objectId);
    expect(new Set(out).size).toBe(ids.length);
    for (const o of out) expect(o).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(objectId("gate")).toBe("gate");
    // '__' never occurs inside one: it can join two.
    expect(out.some((o) => o.includes("__"))).toBe(false);
  });
});
