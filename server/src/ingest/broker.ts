/**
 * The embedded MQTT broker (aedes), used when no external broker is configured.
 *
 * Agents log in with the credentials POST /agents returned (username = agent id) and may publish and
 * subscribe only under their own topic root. The server is the broker's only consumer of face events
 * and needs no client: a face event is handed to the ingestor from the publish authorization hook, and
 * the broker sends the agent its PUBACK only after the event is committed. Nothing acknowledged can be
 * lost, even if the process dies, without any broker-side persistence.
 *
 * Integration accounts (POST /integrations; Home Assistant, Node-RED...) log in the same way and may
 * subscribe to their scopes' topics only (acl.ts: alerts, sightings, status, Home Assistant) and
 * publish nothing. The server's own messages (alerts, sightings, Home Assistant discovery and states,
 * its retained availability `<prefix>/v1/server/status`) are published here directly.
 *
 * Bounds: a packet over `maxPacketBytes` closes its connection before its body is read
 * (packetGuard.ts), and a client id belongs to one agent or integration account (agentOwnsClientId,
 * integrationOwnsClientId), so that no client can take over another's session and knock it offline.
 */
import { createServer, type Server, type Socket } from "node:net";
import { type Logger, MAX_FACE_EVENT_BYTES, SERVER_OFFLINE, SERVER_ONLINE, topics } from "@argus/shared";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { IntegrationScope } from "../domain/types.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { Store } from "../store/types.ts";
import { hashSecret } from "../util/ids.ts";
import { INTEGRATION_CLIENT_PREFIX, integrationOwnsClientId, mayRead, scopeFilters } from "./acl.ts";
import type { Ingestor } from "./ingestor.ts";
import { guardSocket } from "./packetGuard.ts";
import type { StatusHandler } from "./status.ts";

/** A logged-in client: an agent, or an integration account with the topic filters it may read. */
type AgentClient = Client & { agentId?: string; integration?: { name: string; filters: string[]; warned?: boolean } };

/** Where integration accounts' publishes go: no client may subscribe to it (not under any scope or agent root). */
const DROPPED_TOPIC = "$argus/dropped";

export interface PublishOptions {
  qos?: 0 | 1;
  /** Kept by the broker for later subscribers (discovery configs, states, availability). */
  retain?: boolean;
}

/** The client id prefix of agents (the agent's default client id is `argus-agent-<its id>`). */
export const AGENT_CLIENT_PREFIX = "argus-agent-";

/**
 * Whether an agent may use this client id: `argus-agent-<agentId>`, or that followed by ':' and
 * anything (a second connection of the same agent). ':' cannot occur in an agent id, so every
 * client id has at most one owner; a rule like "starts with <agentId>-" would let agent "a" take
 * agent "a-b"'s ids.
 */
export function agentOwnsClientId(agentId: string, clientId: string): boolean {
  const own = AGENT_CLIENT_PREFIX + agentId;
  return clientId === own || clientId.startsWith(`${own}:`);
}

/** MQTT 3.1.1 CONNACK return codes. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_LOGIN = 4;

export class EmbeddedBroker {
  private aedes!: Aedes;
  private server!: Server;
  port = 0;
  /** Open connections per agent id, and per integration account. */
  private readonly online = new Map<string, number>();
  private readonly onlineIntegrations = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly opts: {
      host: string;
      port: number;
      prefix: string;
      store: Store;
      ingestor: Ingestor;
      status: StatusHandler;
      metrics: ServerMetrics;
      log: Logger;
      /** Largest MQTT packet read (mqtt.maxPacketBytes). */
      maxPacketBytes: number;
      /** Home Assistant's discovery prefix (an integration scope reads under it). */
      discoveryPrefix: string;
    },
  ) {}

  async start(): Promise<void> {
    const { store, ingestor, status, log, prefix, metrics, maxPacketBytes } = this.opts;
    const t = topics(prefix);
    if (maxPacketBytes < MAX_FACE_EVENT_BYTES)
      log.warn(
        { maxPacketBytes, largestValidEvent: MAX_FACE_EVENT_BYTES },
        "mqtt.maxPacketBytes is below the largest valid face event: an agent sending one would be disconnected on every retry",
      );
    const refuse = (reason: string, returnCode: number, done: (e: AuthenticateError, ok: boolean) => void) => {
      metrics.mqttRefused.inc({ reason });
      const e = new Error(reason) as AuthenticateError;
      e.returnCode = returnCode as AuthenticateError["returnCode"];
      done(e, false);
    };
    this.aedes = await Aedes.createBroker({
      authenticate: (client: AgentClient, username, password, done) => {
        if (!username || !password) return refuse("login", BAD_LOGIN, done);
        const hash = hashSecret(password.toString("utf8"));
        // Names are unique across agents and integration accounts (checked when either is made).
        Promise.all([store.agents.get(username), store.integrations.get(username)]).then(
          ([a, i]) => {
            const agent = a?.passwordHash === hash;
            const integration = !agent && i?.passwordHash === hash;
            if (!agent && !integration) {
              log.warn({ username, clientId: client.id }, "MQTT login refused");
              return refuse("login", BAD_LOGIN, done);
            }
            // Checked before aedes registers the client, which would disconnect the id's holder.
            const [owns, prefix] = agent
              ? [agentOwnsClientId(username, client.id), AGENT_CLIENT_PREFIX]
              : [integrationOwnsClientId(username, client.id), INTEGRATION_CLIENT_PREFIX];
            if (!owns) {
              log.warn(
                { username, clientId: client.id, expected: `${prefix}${username}[:<suffix>]` },
                "MQTT connection refused: the client id belongs to another agent or integration, or to none",
              );
              return refuse("client_id", IDENTIFIER_REJECTED, done);
            }
            if (agent) client.agentId = username;
            else {
              client.integration = { name: username, filters: this.integrationFilters(i?.scopes ?? []) };
              store.integrations
                .connected(username, Date.now())
                .catch((e) => log.warn({ err: (e as Error).message }, "integration login not recorded"));
            }
            done(null, true);
          },
          (e) => {
            log.error({ err: (e as Error).message }, "MQTT login: store unavailable");
            const err = new Error("server unavailable") as AuthenticateError;
            err.returnCode = SERVER_UNAVAILABLE;
            done(err, false);
          },
        );
      },
      authorizePublish: (client: AgentClient | null, packet, done) => {
        const topic = packet.topic;
        if (client?.integration) {
          // Read-only. MQTT 3.1.1 has no refusal code for a PUBLISH: like Mosquitto's ACL, the message
          // is acknowledged and dropped (sent to a topic nobody may subscribe to, never retained), so
          // Home Assistant's birth and will messages (`homeassistant/status`) cost it no reconnects.
          metrics.mqttRefused.inc({ reason: "read_only" });
          if (!client.integration.warned) {
            client.integration.warned = true;
            log.warn(
              { integration: client.integration.name, topic: topic.slice(0, 200) },
              "MQTT publish by an integration account dropped (read-only; further ones are only counted)",
            );
          }
          packet.topic = DROPPED_TOPIC;
          packet.payload = Buffer.alloc(0);
          packet.retain = false;
          return done(null);
        }
        // client is null for the last will of a client that is already gone: only status can be a will.
        const agentId = client?.agentId;
        if (client && (!agentId || !topic.startsWith(t.agentRoot(agentId)))) {
          metrics.mqttRefused.inc({ reason: "topic" });
          log.warn({ agentId, topic: topic.slice(0, 200) }, "MQTT publish outside the agent's own topics refused");
          return done(new Error("not authorized for this topic"));
        }
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        if (status.isStatusTopic(topic)) {
          status.handle(topic, payload).then(
            () => done(null),
            (e) => {
              log.error({ err: (e as Error).message, topic }, "status message not stored");
              done(null);
            },
          );
          return;
        }
        if (!client) return done(new Error("not authorized"));
        ingestor.submit(topic, payload).then(
          // Stored (or dead-lettered): let aedes PUBACK now. Nobody subscribes to faces, so drop the copy.
          () => done(null),
          (e) => done(e as Error), // stopping: the agent redelivers after reconnecting
        );
      },
      authorizeSubscribe: (client: AgentClient, sub, done) => {
        if (client.agentId && sub.topic.startsWith(t.agentRoot(client.agentId))) return done(null, sub);
        if (client.integration && mayRead(sub.topic, client.integration.filters)) return done(null, sub);
        metrics.mqttRefused.inc({ reason: "subscribe" });
        log.info(
          { username: client.agentId ?? client.integration?.name, topic: sub.topic.slice(0, 200) },
          "MQTT subscription outside the client's topics refused",
        );
        done(null, null); // refused: SUBACK 128, the connection stays up
      },
      // Face events are not forwarded: no subscriber needs the 20 kB payloads.
      authorizeForward: (_client, packet) => (packet.topic.endsWith("/faces") ? null : packet),
    });
    const count = (c: AgentClient, by: number) => {
      const [map, key] = c.agentId
        ? [this.online, c.agentId]
        : c.integration
          ? [this.onlineIntegrations, c.integration.name]
          : [undefined, ""];
      if (!map) return;
      const n = (map.get(key) ?? 0) + by;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    };
    this.aedes.on("client", (c: AgentClient) => count(c, 1));
    this.aedes.on("clientDisconnect", (c: AgentClient) => count(c, -1));
    this.aedes.on("clientError", (c, e) => log.debug({ clientId: c?.id, err: e.message }, "MQTT client error"));
    this.aedes.on("connectionError", (c, e) => log.debug({ clientId: c?.id, err: e.message }, "MQTT connection error"));
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      const conn = guardSocket(socket, maxPacketBytes, (size, c) => {
        metrics.mqttRefused.inc({ reason: "packet_too_large" });
        const client = (c as unknown as { client?: AgentClient }).client; // aedes sets conn.client
        log.warn(
          { agentId: client?.agentId, clientId: client?.id, bytes: size, maxPacketBytes, remote: socket.remoteAddress },
          "MQTT packet over mqtt.maxPacketBytes: connection closed before reading it",
        );
      });
      this.aedes.handle(conn as unknown as Parameters<Aedes["handle"]>[0]);
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const a = this.server.address();
    this.port = typeof a === "object" && a ? a.port : this.opts.port;
    // Retained in the broker's memory: gone with the process, so a later start says "online" again.
    await this.publish(t.serverStatus(), SERVER_ONLINE, { retain: true });
    log.info({ port: this.port }, "embedded MQTT broker listening");
  }

  /** The topic filters of an integration account's scopes. */
  integrationFilters(scopes: readonly IntegrationScope[]): string[] {
    return scopeFilters(scopes, { prefix: this.opts.prefix, discoveryPrefix: this.opts.discoveryPrefix });
  }

  /** Publishes from the server itself (alerts, sightings, Home Assistant), bypassing the clients' ACL. */
  publish(topic: string, payload: string, o: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish(
        {
          cmd: "publish",
          topic,
          payload: Buffer.from(payload),
          qos: o.qos ?? 1,
          retain: o.retain ?? false,
          dup: false,
        },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  }

  private get clients(): AgentClient[] {
    return Object.values((this.aedes as unknown as { clients: Record<string, AgentClient> }).clients);
  }

  /** Disconnects an agent (its credentials were revoked). */
  disconnectAgent(agentId: string): void {
    for (const c of this.clients) if (c.agentId === agentId) c.close();
  }

  /** Disconnects an integration account (new password, or deleted). */
  disconnectIntegration(name: string): void {
    for (const c of this.clients) if (c.integration?.name === name) c.close();
  }

  isOnline(agentId: string): boolean {
    return this.online.has(agentId);
  }

  isIntegrationOnline(name: string): boolean {
    return this.onlineIntegrations.has(name);
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    // Subscribers connected now hear "offline" (retained, though the broker's memory goes with it).
    await this.publish(topics(this.opts.prefix).serverStatus(), SERVER_OFFLINE, { retain: true }).catch(() => {});
    // mqtt-packet writes on the next tick; closing destroys the sockets, so let their output drain first.
    const until = Date.now() + 500;
    do await new Promise((r) => setTimeout(r, 10));
    while (Date.now() < until && [...this.sockets].some((s) => s.writableLength > 0));
    await new Promise<void>((r) => this.aedes.close(() => r()));
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
