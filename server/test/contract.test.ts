/**
 * The REST contract holds: every route the router serves is in the OpenAPI document and the
 * reverse, and every JSON response of a real run (a real agent over MQTT, real photos) validates
 * against its operation's schema in shared/src/api. Also the stream's events and a webhook body.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import {
  type Operation,
  type OperationId,
  operations,
  StreamEventSchemas,
  WebhookBodySchema,
} from "@argus/shared/api/index";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.ts";
import { routerPath } from "../src/api/route.ts";
import { startServer } from "../src/server.ts";
import {
  agentClient,
  apiClient,
  bbt,
  faceEvent,
  HAVE_DATA,
  imageForm,
  type Json,
  NO_DATA_MESSAGE,
  openStream,
  publishEvent,
  type RunningServer,
  realFaces,
  tempDir,
  waitFor,
} from "./helpers.ts";

if (!HAVE_DATA) console.log(`contract: ${NO_DATA_MESSAGE}`);

/** The operation a request was for: method and path matched against the table's templates. */
function operationOf(method: string, path: string): [OperationId, Operation] | undefined {
  const p = path.split("?")[0];
  for (const [id, o] of Object.entries(operations) as Array<[OperationId, Operation]>) {
    if (o.method !== method.toLowerCase()) continue;
    const re = new RegExp(`^${o.path.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`);
    if (re.test(p)) return [id, o];
  }
  return undefined;
}

describe.skipIf(!HAVE_DATA)("REST contract", () => {
  let server: RunningServer;
  let call: ReturnType<typeof apiClient>;
  const validated = new Map<OperationId, number>();
  const violations: string[] = [];
  let stream: Array<{ event: string; data: Json }> = [];
  let events: Awaited<ReturnType<typeof openStream>>;
  const hookBodies: string[] = [];
  let hook: Server;

  /** A client that checks every JSON response against the schema of the operation it called. */
  const checked =
    (raw: ReturnType<typeof apiClient>) =>
    async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const r = await raw(method, path, body, headers);
      const found = operationOf(method, path);
      if (!found) violations.push(`${method} ${path}: no operation in the table`);
      else {
        const [id, o] = found;
        if (r.status === o.response.status && "schema" in o.response) {
          const v = o.response.schema.safeParse(r.body);
          if (!v.success) violations.push(`${id}: ${JSON.stringify(v.error.issues.slice(0, 3))}`);
          validated.set(id, (validated.get(id) ?? 0) + 1);
        } else if (r.status >= 400) {
          if (typeof r.body?.error?.code !== "string" || typeof r.body?.error?.message !== "string")
            violations.push(`${id} ${r.status}: not an error body: ${JSON.stringify(r.body).slice(0, 200)}`);
        }
      }
      return r;
    };

  beforeAll(async () => {
    server = await startServer({
      config: {
        dataDir: tempDir(),
        http: { port: 0, host: "127.0.0.1" },
        mqtt: { port: 0, host: "127.0.0.1" },
        alerts: { webhookBackoffMs: 50, webhookAllowHosts: ["127.0.0.1"] },
        log: { level: "error" },
      },
    });
    call = checked(apiClient(server, server.adminToken));
    hook = createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hookBodies.push(b);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
    events = await openStream(server, { authorization: `Bearer ${server.adminToken}` });
    stream = events.events;
  });

  afterAll(async () => {
    events?.close();
    await server?.stop();
    hook?.close();
  });

  it("serves exactly the operations of the OpenAPI document", async () => {
    const { router } = createApp(server.services);
    const served = new Set<string>();
    for (const layer of router.stack)
      for (const m of layer.methods) if (m !== "HEAD") served.add(`${m.toLowerCase()} ${layer.path}`);
    const doc = (await call("GET", "/openapi.json")).body;
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>))
      for (const [m, op] of Object.entries(methods)) {
        documented.add(`${m} ${routerPath(path)}`);
        // Every operation documents its success response, its errors and the role it needs.
        expect(op.responses, `${m} ${path}`).toBeTruthy();
        expect(op.description, `${m} ${path}`).toMatch(/role|No credentials/);
        const ok = Object.entries(op.responses as Record<string, Json>).find(([c]) => c.startsWith("2"));
        expect(ok, `${m} ${path} success response`).toBeTruthy();
        if (op["x-role"]) expect(op.responses["403"], `${m} ${path} 403`).toBeTruthy();
        if (op.requestBody) expect(Object.keys(op.requestBody.content).length).toBeGreaterThan(0);
      }
    expect([...served].sort()).toEqual([...documented].sort());
    // JSON bodies and responses carry real schemas, not empty placeholders.
    const persons = doc.paths["/api/v1/persons"];
    expect(persons.post.requestBody.content["application/json"].schema.properties.name.type).toBe("string");
    expect(persons.get.responses["200"].content["application/json"].schema.properties.items.items.$ref).toBe(
      "#/components/schemas/PersonListItem",
    );
    expect(doc.components.schemas.Sighting.required).toContain("capturedAt");
    // The docs page shows request and response shapes.
    const docs = await fetch(`${server.url}/docs`).then((r) => r.text());
    expect(docs).toMatch(/id="schema-Sighting"/);
    expect(docs).toMatch(/PersonListItem/);
  });

  it("every JSON response of a real run validates against its schema", async () => {
    const names = ["penny1", "penny2", "sheldon1", "sheldon2", "amy1"];
    const f = Object.fromEntries((await realFaces(names.map(bbt))).map((x, i) => [names[i], x]));
    const anon = checked(apiClient(server));
    await anon("GET", "/health");
    await call("GET", "/api/v1/me");

    // People and photos.
    const penny = (await call("POST", "/api/v1/persons", { name: "Penny", list: "foe", meta: { desk: 4 } })).body;
    await call("POST", `/api/v1/persons/${penny.id}/faces`, imageForm({ image: bbt("penny3") }));
    const extra = (await call("POST", "/api/v1/persons", { name: "Temp" })).body;
    const enrolled = await call("POST", `/api/v1/persons/${extra.id}/faces`, imageForm({ image: bbt("raj1") }));
    await call("GET", `/api/v1/persons/${extra.id}/faces`);
    await call("DELETE", `/api/v1/persons/${extra.id}/faces/${enrolled.body.face.id}`);
    await call("PATCH", `/api/v1/persons/${extra.id}`, { name: "Temporary", list: null });
    // Bulk enrolment: one named file, then a zip (an enrolled photo, a possible duplicate, a refusal).
    await call("POST", "/api/v1/enrol/file?name=Bulk%20Amy&file=Bulk_Amy_1.png", imageForm({ image: bbt("amy1") }));
    const bulk = new FormData();
    const zip = zipSync({
      "Bulk_Amy_2.png": readFileSync(bbt("amy2")),
      "Penelope/penny1.png": readFileSync(bbt("penny1")),
      "notes.txt": strToU8("x"),
    });
    bulk.append("archive", new Blob([zip], { type: "application/zip" }), "people.zip");
    const report = (await call("POST", "/api/v1/enrol/bulk", bulk)).body;
    expect(report.summary).toMatchObject({ enrolled: 2, possibleDuplicates: 1, refused: 1 });

    // Cameras, webhooks, an agent and its events.
    await call("PATCH", "/api/v1/cameras/site/gate", { name: "Gate", sensitive: true });
    const port = (hook.address() as { port: number }).port;
    const w = (await call("POST", "/api/v1/webhooks", { url: `http://127.0.0.1:${port}/hook` })).body;
    const creds = (await call("POST", "/api/v1/agents", { id: "site" })).body;
    const c = await agentClient(creds.mqtt.url, creds.mqtt.username, creds.mqtt.password);
    for (const [i, n] of names.entries())
      await publishEvent(
        c,
        faceEvent(f[n], { agentId: "site", cameraId: "gate", capturedAt: new Date(Date.now() - 10_000 + i) }),
      );
    await new Promise<void>((r) => c.publish("argus/v1/agents/site/cameras/gate/faces", "{bad", { qos: 1 }, () => r()));
    await new Promise<void>((r) =>
      c.publish("argus/v1/agents/site/cameras/gate/status", JSON.stringify({ state: "streaming" }), { qos: 1 }, () =>
        r(),
      ),
    );
    await new Promise<void>((r) =>
      c.publish("argus/v1/agents/site/status", JSON.stringify({ state: "online", cameras: {} }), { qos: 1 }, () => r()),
    );
    await c.endAsync();
    await waitFor(async () => hookBodies.length > 0, "a webhook delivery");

    // Reading it all back.
    const sightings = (await call("GET", "/api/v1/sightings?limit=2")).body;
    await call("GET", `/api/v1/sightings?cursor=${sightings.nextCursor}&kind=auto&from=2020-01-01T00:00:00Z`);
    await call("GET", `/api/v1/sightings/${sightings.items[0].id}`);
    await call("GET", `/api/v1/persons/${penny.id}/sightings`);
    const persons = (await call("GET", "/api/v1/persons?sort=lastSeen")).body;
    await call("GET", `/api/v1/persons/${penny.id}`);
    const autos = persons.items.filter((p: Json) => p.kind === "auto");
    if (autos.length) await call("POST", `/api/v1/persons/${penny.id}/merge`, { from: autos[0].id });
    const alerts = (await call("GET", "/api/v1/alerts")).body;
    await call("POST", `/api/v1/alerts/${alerts.items[0].id}/ack`);
    await call("POST", "/api/v1/alerts/bulk-ack", { ids: alerts.items.map((x: Json) => x.id), note: "checked" });
    await call("GET", "/api/v1/alerts?muted=false&acked=true");
    await call("GET", "/api/v1/sightings?grade=strong");
    const mute = (await call("POST", "/api/v1/mutes", { camera: "site/gate", minutes: 10, reason: "maintenance" }))
      .body;
    await call("GET", "/api/v1/mutes");
    await call("DELETE", `/api/v1/mutes/${mute.id}`);
    await call("GET", "/api/v1/admin/settings");
    await call("GET", "/api/v1/cameras");
    await call("GET", "/api/v1/agents");
    await call("POST", "/api/v1/agents/site/credentials");
    await call("GET", `/api/v1/webhooks/${w.id}/deliveries`);
    await call("GET", "/api/v1/webhooks");
    await call("GET", "/api/v1/dead-letters");
    const ha = (await call("POST", "/api/v1/integrations", { name: "ha", scopes: ["homeassistant"] })).body;
    expect(ha.mqtt.password).toEqual(expect.any(String));
    await call("GET", "/api/v1/integrations");
    await call("POST", "/api/v1/integrations/ha/credentials");
    await call("DELETE", "/api/v1/integrations/ha");
    await call("GET", "/api/v1/admin/stats");
    await call("POST", "/api/v1/admin/rebuild-index");

    // Search by photo.
    await call("POST", "/api/v1/identify", imageForm({ image: bbt("penny2") }));
    await call("POST", "/api/v1/search?sightings=2", imageForm({ image: bbt("sheldon2") }));
    await call("POST", "/api/v1/verify", imageForm({ image1: bbt("amy1"), image2: bbt("amy2") }));

    // Tokens and users.
    const t = (await call("POST", "/api/v1/tokens", { role: "viewer", name: "wall" })).body;
    await call("GET", "/api/v1/tokens");
    await call("DELETE", `/api/v1/tokens/${t.id}`);
    const u = (await call("POST", "/api/v1/users", { name: "bob", role: "viewer", password: "a long password" })).body;
    await call("PATCH", `/api/v1/users/${u.id}`, { role: "operator" });
    await call("GET", "/api/v1/users");
    const signIn = await anon(
      "POST",
      "/api/v1/session",
      { name: "bob", password: "a long password" },
      { "x-argus-csrf": "1" },
    );
    expect(signIn.status).toBe(200);

    // Identities: visits, history search, corrections, the audit log, duplicates (jobs and proposals).
    const pennySightings = (await call("GET", `/api/v1/persons/${penny.id}/sightings`)).body.items;
    await call("GET", `/api/v1/persons/${penny.id}/visits?limit=5`);
    await waitFor(async () => server.services.history.ready, "the history index");
    await server.services.history.settled();
    await call("POST", "/api/v1/search/sightings?limit=2&cameraId=site/gate", imageForm({ image: bbt("penny2") }));
    const some = (await call("GET", "/api/v1/sightings?limit=3")).body.items;
    await call("POST", "/api/v1/sightings/move", { sightingIds: [some[0].id], to: { kind: "new", name: "Moved" } });
    const owner = (await call("GET", `/api/v1/sightings/${some[1].id}`)).body.personId ?? penny.id;
    const owned = (await call("GET", `/api/v1/persons/${owner}/sightings`)).body.items;
    if (owned.length) await call("POST", `/api/v1/persons/${owner}/split`, { sightingIds: [owned[0].id] });
    expect(pennySightings).toBeTruthy();
    await call("GET", "/api/v1/audit?limit=5&action=sighting.move");
    const job = (await call("POST", "/api/v1/jobs/cluster")).body;
    await server.services.jobs.idle();
    await call("GET", `/api/v1/jobs/${job.id}`);
    await call("GET", "/api/v1/jobs");
    const x = (await call("POST", "/api/v1/persons", { name: "Dup A" })).body;
    const y = (await call("POST", "/api/v1/persons", { name: "Dup B" })).body;
    const z = (await call("POST", "/api/v1/persons", { name: "Dup C" })).body;
    const proposal = (a: string, b: string) => ({
      id: crypto.randomUUID(),
      kind: "merge_persons" as const,
      a,
      b,
      score: 0.5,
      status: "open" as const,
      createdAt: Date.now(),
      decidedAt: null,
      decidedBy: null,
      jobId: null,
    });
    const [p1, p2] = [proposal(x.id, y.id), proposal(x.id, z.id)];
    await server.services.store.proposals.offer([p1, p2]);
    await call("GET", "/api/v1/proposals");
    await call("POST", `/api/v1/proposals/${p2.id}/reject`);
    await call("POST", `/api/v1/proposals/${p1.id}/accept`);

    // Errors keep the error shape.
    await call("GET", "/api/v1/persons/nobody");
    await call("GET", "/api/v1/sightings?limit=0x10");
    await anon("GET", "/api/v1/persons");

    expect(violations).toEqual([]);
    // Every JSON operation was exercised (else this test proves less than it says).
    const json = (Object.entries(operations) as Array<[OperationId, Operation]>)
      .filter(([, o]) => "schema" in o.response)
      .map(([id]) => id);
    const unexercised = json.filter((id) => !validated.has(id));
    expect(unexercised).toEqual([]);

    // The event stream and the webhook carry the same shapes.
    await waitFor(async () => stream.some((e) => e.event === "alert-ack"), "the stream's alert-ack");
    for (const e of stream) {
      const schema = StreamEventSchemas[e.event as keyof typeof StreamEventSchemas];
      expect(schema, e.event).toBeTruthy();
      const v = schema.safeParse(e.data);
      expect(v.success, `${e.event}: ${v.success ? "" : JSON.stringify(v.error.issues.slice(0, 3))}`).toBe(true);
    }
    expect([...new Set(stream.map((e) => e.event))]).toEqual(
      expect.arrayContaining(["sighting", "alert", "alert-ack", "person", "camera", "agent"]),
    );
    expect(WebhookBodySchema.safeParse(JSON.parse(hookBodies[0])).success).toBe(true);
  });
});
