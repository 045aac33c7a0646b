/**
 * What an integration account may read on the embedded broker: its scopes' topic filters, and any
 * filter narrower than one of them. Pure; the broker (broker.ts) applies it to every SUBSCRIBE, the
 * API lists the filters, and the root README's topic table says the same for people.
 */
import { topics } from "@argus/shared";
import type { IntegrationScope } from "../domain/types.ts";

/** The client id prefix of integration accounts (agents': `argus-agent-`, so no id has two owners). */
export const INTEGRATION_CLIENT_PREFIX = "argus-integration-";

/**
 * Whether an integration account may use this client id: `argus-integration-<name>`, or that
 * followed by ':' and anything (a second connection). ':' cannot occur in a name.
 */
export function integrationOwnsClientId(name: string, clientId: string): boolean {
  const own = INTEGRATION_CLIENT_PREFIX + name;
  return clientId === own || clientId.startsWith(`${own}:`);
}

/** The topic filters of each scope. */
export function scopeFilters(
  scopes: readonly IntegrationScope[],
  o: { prefix: string; discoveryPrefix: string },
): string[] {
  const t = topics(o.prefix);
  const out = new Set<string>();
  for (const s of scopes) {
    if (s === "alerts") out.add(t.alerts());
    else if (s === "sightings") out.add(t.sightings());
    else if (s === "status") {
      out.add(t.serverStatus());
      out.add(t.allAgentStatus());
      out.add(t.allCameraStatus());
    } else if (s === "homeassistant") {
      out.add(`${o.discoveryPrefix}/#`);
      out.add(`${t.haRoot()}#`);
      out.add(t.serverStatus());
    }
  }
  return [...out];
}

/**
 * Whether every topic that `filter` matches is matched by `allowed` (MQTT wildcards: '+' one level,
 * '#' the rest, including the parent level itself). A '+' or '#' in `filter` is within only a
 * wildcard of `allowed` at that level, so `argus/v1/#` is not within `argus/v1/alerts`.
 */
export function filterWithin(filter: string, allowed: string): boolean {
  const f = filter.split("/");
  const a = allowed.split("/");
  for (let i = 0; i < a.length; i++) {
    if (a[i] === "#") return true;
    if (i >= f.length || f[i] === "#") return false;
    if (a[i] === "+") continue;
    if (f[i] !== a[i]) return false;
  }
  return f.length === a.length;
}

export const mayRead = (filter: string, allowed: readonly string[]) => allowed.some((a) => filterWithin(filter, a));
