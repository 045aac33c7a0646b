/** CSV export of a person's sightings: filters, the viewer's time zone, quoting, formula defusing, errors. */

import { csvCell } from "@argus/shared";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer } from "../src/server.ts";
import { emptyBatch } from "../src/store/types.ts";
import { apiClient, type RunningServer, tempDir } from "./helpers.ts";
import { person, sighting } from "./storeContract/records.ts";

let server: RunningServer;
const T = Date.UTC(2026, 5, 1, 22, 30); // 1 June 2026 22:30 UTC = 2 June 00:30 in Paris
const p = person({ name: '=HYPERLINK("x"), "Bob"', list: "foe" });

beforeAll(async () => {
  server = await startServer({
    config: {
      dataDir: tempDir(),
      http: { port: 0, host: "127.0.0.1" },
      mqtt: { port: 0, host: "127.0.0.1" },
      log: { level: "error" },
    },
  });
  await server.services.store.persons.insert(p);
  await server.services.store.commitBatch({
    ...emptyBatch(),
    newSightings: [
      sighting(p.id, { cameraId: "door", capturedAt: T, lastSeenAt: T + 5000, similarity: 0.61234 }),
      sighting(p.id, { cameraId: "hall", capturedAt: T - 3_600_000, lastSeenAt: T - 3_600_000 }),
      sighting(p.id, { cameraId: "door", capturedAt: T - 86_400_000, lastSeenAt: T - 86_400_000 }),
    ],
  });
});
afterAll(async () => {
  await server?.stop();
});

it("exports a person's sightings as CSV, filtered, with local times in the viewer's zone", async () => {
  const res = await fetch(
    `${server.url}/api/v1/persons/${p.id}/sightings.csv?cameraId=door&from=${T - 7_200_000}&tz=Europe/Paris`,
    { headers: { authorization: `Bearer ${server.adminToken}` } },
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
  expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="sightings-[\w.-]+\.csv"$/);
  const rows = (await res.text()).trimEnd().split("\r\n");
  expect(rows[0]).toBe(
    "sighting_id,captured_at_utc,captured_at_local,last_seen_at_utc,camera_id,camera_name,agent_id,person_id,person_name,person_kind,list,similarity,grade,quality,shots,verdict,unlinked_reason",
  );
  expect(rows).toHaveLength(2); // only the door sighting within the range
  expect(rows[1]).toContain(",2026-06-01T22:30:00.000Z,2026-06-02 00:30:00,2026-06-01T22:30:05.000Z,door,");
  // the name is quoted and cannot run as a spreadsheet formula
  expect(rows[1]).toContain(`,"'=HYPERLINK(""x""), ""Bob""",enrolled,foe,0.6123,`);
});

it("names bad parameters and unknown persons", async () => {
  const api = apiClient(server, server.adminToken);
  const tz = await api("GET", `/api/v1/persons/${p.id}/sightings.csv?tz=Mars/Olympus`);
  expect(tz.status).toBe(400);
  expect(tz.body.error.details.field).toBe("tz");
  expect((await api("GET", `/api/v1/persons/${p.id}/sightings.csv?from=yesterday`)).body.error.details.field).toBe(
    "from",
  );
  expect((await api("GET", "/api/v1/persons/nobody/sightings.csv")).status).toBe(404);
  expect((await apiClient(server)("GET", `/api/v1/persons/${p.id}/sightings.csv`)).status).toBe(401);
});

it("quotes CSV cells", () => {
  expect(csvCell("plain")).toBe("plain");
  expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
  expect(csvCell("+1")).toBe("'+1");
  expect(csvCell(-0.5)).toBe("-0.5");
  expect(csvCell(null)).toBe("");
});
