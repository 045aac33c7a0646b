/**
 * The embedded MQTT broker (aedes), used when no external broker is configured.
 *
 * Agents log in with the credentials POST /agents returned (username = agent id) and may publish and
 * subscribe only under their own topic root. The server is the broker's only consumer and needs no
 * client: a face event is handed to the ingestor from the publish authorization hook, and the broker
 * sends the agent its PUBACK only after the event is committed. Nothing acknowledged can be lost, even
 * if the process dies, without any broker-side persistence.
 *
 * Bounds: a packet over `maxPacketBytes` closes its connection before its body is read
 * (packetGuard.ts), and a client id belongs to one agent (agentOwnsClientId), so that no agent can
 * take over another's session and knock it offline.
 */
import { createServer, type Server } from "node:net";
import { type Logger, MAX_FACE_EVENT_BYTES, topics } from "@argus/shared";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { Store } from "../store/types.ts";
import { hashSecret } from "../util/ids.ts";
import type { Ingestor } from "./ingestor.ts";
import { guardSocket } from "./packetGuard.ts";
import type { StatusHandler } from "./status.ts";

type AgentClient = Client & { agentId?: string };

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
  /** Open connections per agent id. */
  private readonly online = new Map<string, number>();

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
        store.agents.get(username).then(
          (a) => {
            if (!a || a.passwordHash !== hashSecret(password.toString("utf8"))) {
              log.warn({ agentId: username, clientId: client.id }, "MQTT login refused");
              return refuse("login", BAD_LOGIN, done);
            }
            // Checked before aedes registers the client, which would disconnect the id's holder.
            if (!agentOwnsClientId(username, client.id)) {
              log.warn(
                { agentId: username, clientId: client.id, expected: `${AGENT_CLIENT_PREFIX}${username}[:<suffix>]` },
                "MQTT connection refused: the client id belongs to another agent or to none",
              );
              return refuse("client_id", IDENTIFIER_REJECTED, done);
            }
            client.agentId = username;
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
        done(null, null); // refused: SUBACK 128, the connection stays up
      },
      // Face events are not forwarded: no subscriber needs the 20 kB payloads.
      authorizeForward: (_client, packet) => (packet.topic.endsWith("/faces") ? null : packet),
    });
    this.aedes.on("client", (c: AgentClient) => {
      if (c.agentId) this.online.set(c.agentId, (this.online.get(c.agentId) ?? 0) + 1);
    });
    this.aedes.on("clientDisconnect", (c: AgentClient) => {
      if (!c.agentId) return;
      const n = (this.online.get(c.agentId) ?? 1) - 1;
      if (n > 0) this.online.set(c.agentId, n);
      else this.online.delete(c.agentId);
    });
    this.aedes.on("clientError", (c, e) => log.debug({ clientId: c?.id, err: e.message }, "MQTT client error"));
    this.aedes.on("connectionError", (c, e) => log.debug({ clientId: c?.id, err: e.message }, "MQTT connection error"));
    this.server = createServer((socket) => {
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
    log.info({ port: this.port }, "embedded MQTT broker listening");
  }

  /** Publishes from the server itself (alerts), bypassing the agents' ACL. */
  publish(topic: string, payload: string, qos: 0 | 1 = 1): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish(
        { cmd: "publish", topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  }

  /** Disconnects an agent (its credentials were revoked). */
  disconnectAgent(agentId: string): void {
    const clients = (this.aedes as unknown as { clients: Record<string, AgentClient> }).clients;
    for (const c of Object.values(clients)) if (c.agentId === agentId) c.close();
  }

  isOnline(agentId: string): boolean {
    return this.online.has(agentId);
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.aedes.close(() => r()));
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
