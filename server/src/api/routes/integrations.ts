/** Integration accounts: read-only MQTT logins for Home Assistant and other subscribers (admins). */
import type { Routes } from "../route.ts";
import type { Services } from "../services.ts";

export function integrationRoutes(r: Routes, s: Services): void {
  r.add("createIntegration", (_ctx, { body }) => s.integrations.create(body));
  r.add("listIntegrations", async () => ({ items: await s.integrations.list() }));
  r.add("rotateIntegration", (_ctx, { params }) => s.integrations.rotate(params.name));
  r.add("deleteIntegration", (_ctx, { params }) => s.integrations.remove(params.name));
}
