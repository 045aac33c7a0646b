/**
 * startServer(): builds and starts everything (store, gallery, ingestion, broker or consumer, alerts,
 * REST API, retention) and returns a handle to stop it cleanly.
 *
 * Start order: store; everything built (nothing running); HTTP listening, answering only /health
 * ("starting", 503, with the index load's progress) and 503 STARTING to everything else; the face
 * index loaded; then webhooks, the MQTT side (ingestion needs the index) and the other routes.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { createLogger, EMBEDDING_DIM, FacePipeline, featureModelId, type Logger, redactUrl } from "@argus/shared";
import { Regulars } from "./alerts/regulars.ts";
import { Cooldown } from "./alerts/rules.ts";
import { createApp } from "./api/app.ts";
import { newToken, TokenResolver } from "./api/auth.ts";
import type { AgentCredentials, Services } from "./api/services.ts";
import { AuditLog } from "./audit/audit.ts";
import { type Config, type ConfigInput, parseConfig } from "./config/config.ts";
import { prepareDataDir } from "./dataDir.ts";
import { Bus } from "./domain/bus.ts";
import { conflict, notFound } from "./domain/errors.ts";
import { cameraKey } from "./domain/types.ts";
import { runtimeCalibration } from "./identify/calibrated.ts";
import { cluster } from "./identify/clustering.ts";
import { CorrectionService } from "./identify/corrections.ts";
import { CandidatePool } from "./identify/creation.ts";
import { Exclusions } from "./identify/exclusions.ts";
import { Gallery, type LoadProgress } from "./identify/gallery.ts";
import { HistoryIndex } from "./identify/history.ts";
import { IdAllocator } from "./identify/ids.ts";
import { PersonCache } from "./identify/personCache.ts";
import { PersonService } from "./identify/persons.ts";
import { ProposalService } from "./identify/proposals.ts";
import { scopeFilters } from "./ingest/acl.ts";
import { EmbeddedBroker, type PublishOptions } from "./ingest/broker.ts";
import { MqttConsumer } from "./ingest/consumer.ts";
import { DeadLetterKeeper } from "./ingest/deadLetters.ts";
import { Ingestor } from "./ingest/ingestor.ts";
import { StatusHandler } from "./ingest/status.ts";
import { JobRunner } from "./jobs/runner.ts";
import { wireFanout } from "./notify/fanout.ts";
import { HomeAssistant } from "./notify/homeAssistant.ts";
import { IntegrationAccounts } from "./notify/integrationAccounts.ts";
import { SseHub } from "./notify/sseHub.ts";
import { WebhookWorker } from "./notify/webhooks.ts";
import { serverMetrics } from "./ops/metrics.ts";
import { runRetention } from "./retention/retention.ts";
import { CropStore } from "./store/crops.ts";
import { openStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { SessionService } from "./users/sessions.ts";
import { assertTimeZone } from "./util/days.ts";
import { hashSecret, secret } from "./util/ids.ts";
import { Mutex } from "./util/mutex.ts";
import { RateMeter } from "./util/rate.ts";

export interface StartOptions {
  /** Settings (validated); `dataDir` is required. */
  config: ConfigInput | Config;
  log?: Logger;
  /** Use this store instead of opening one from the settings (tests). */
  store?: Store;
  /** Called, and awaited, as the face index loads (tests hold the load here to watch /health). */
  onIndexProgress?: (p: LoadProgress) => void | Promise<void>;
}

export interface RunningServer {
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  httpPort: number;
  /** URL agents connect to (embedded broker) or the external broker's URL (credentials redacted). */
  mqttUrl: string;
  /** The first admin token (also in <dataDir>/admin-token), if this data directory has it. */
  adminToken: string | undefined;
  /** True when this start created the admin token (print it once). */
  adminTokenCreated: boolean;
  /** The console's first admin, when this start created it: sign in with it (also in <dataDir>/admin-password). */
  consoleAdmin: { name: string; password: string; file: string } | undefined;
  /** Registers an agent and returns its MQTT credentials (409 if it exists). */
  registerAgent(id: string): Promise<AgentCredentials>;
  /** Registers the agent, or issues it a new password if it exists (for start scripts run again). */
  ensureAgent(id: string): Promise<AgentCredentials>;
  services: Services;
  stop(): Promise<void>;
}

const ADMIN_TOKEN_FILE = "admin-token";
const ADMIN_PASSWORD_FILE = "admin-password";

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const config = parseConfig(opts.config);
  assertTimeZone(config.regulars.timeZone);
  const log = opts.log ?? createLogger("argus-server", config.log.level);
  prepareDataDir(config.dataDir, { sqlite: !opts.store && !config.store.mongodbUrl, log });
  const store =
    opts.store ??
    openStore({ dataDir: config.dataDir, mongodbUrl: config.store.mongodbUrl, mongodbDb: config.store.mongodbDb });
  try {
    // Brings the schema up to date; each migration step is logged as {from, to, step, name, ms}.
    await store.init((step) => log.info(step, "database schema migrated"));
  } catch (e) {
    if (!opts.store) await store.close();
    throw e;
  }
  log.info(
    {
      store: store.kind,
      url: config.store.mongodbUrl ? redactUrl(config.store.mongodbUrl) : join(config.dataDir, "argus.db"),
    },
    "store ready",
  );

  const metrics = serverMetrics();
  const bus = new Bus();
  const lock = new Mutex();
  const crops = new CropStore(join(config.dataDir, "crops"));
  const model = featureModelId();
  const gallery = new Gallery({
    dim: EMBEDDING_DIM,
    mode: config.identify.matching,
    hnsw: config.identify.hnsw,
    model: `${model.id}:${model.sha256}`,
    snapshotDir: join(config.dataDir, "index"),
    log,
  });
  // Unmatched faces waiting to recur (cautious creation of automatic persons).
  const candidates = new CandidatePool({
    dim: EMBEDDING_DIM,
    mode: config.identify.matching,
    windowMs: config.identify.create.windowHours * 3_600_000,
    maxCandidates: config.identify.create.maxCandidates,
  });
  // The model's calibration is read now: a manifest without one stops the start with its reason.
  runtimeCalibration(config.identify);
  const regulars = new Regulars(store, config.regulars);
  const persons = new PersonCache(store);
  const cameras = new Map(
    (await store.cameras.list()).map((c) => [cameraKey(c.agentId, c.id), { sensitive: c.sensitive }]),
  );
  const webhooks = new WebhookWorker(store, log, metrics, {
    maxAttempts: config.alerts.webhookMaxAttempts,
    timeoutMs: config.alerts.webhookTimeoutMs,
    backoffMs: config.alerts.webhookBackoffMs,
    allowHosts: config.alerts.webhookAllowHosts,
  });
  const ids = await IdAllocator.open(store);
  const deadLetters = new DeadLetterKeeper({
    store,
    config: config.deadLetters,
    prefix: config.mqtt.topicPrefix,
    metrics,
    log,
  });
  const exclusions = new Exclusions(store);
  const ingestor = new Ingestor({
    exclusions,
    store,
    gallery,
    crops,
    config,
    bus,
    metrics,
    log,
    lock,
    regulars,
    cooldown: new Cooldown(config.alerts.cooldownSeconds * 1000),
    cameraSensitive: (agentId, cameraId) => cameras.get(cameraKey(agentId, cameraId))?.sensitive ?? false,
    webhooks: () => webhooks.hooks,
    persons,
    ids,
    deadLetters,
    candidates,
  });
  let pipeline: Promise<FacePipeline> | undefined;
  const personService = new PersonService({
    store,
    gallery,
    crops,
    config,
    bus,
    lock,
    ids,
    regulars,
    persons,
    pipeline: () => {
      pipeline ??= FacePipeline.create();
      pipeline.catch(() => (pipeline = undefined));
      return pipeline;
    },
  });

  const history = new HistoryIndex({
    dim: EMBEDDING_DIM,
    hnsw: {
      m: config.history.m,
      efConstruction: config.history.efConstruction,
      efSearch: config.history.efSearch,
      initialCapacity: config.identify.hnsw.initialCapacity,
    },
    model: `${model.id}:${model.sha256}`,
    snapshotDir: join(config.dataDir, "history"),
    log,
  });
  const audit = new AuditLog(store, log);
  const corrections = new CorrectionService({
    store,
    gallery,
    history,
    crops,
    config,
    bus,
    lock,
    ids,
    regulars,
    persons,
    personService,
    exclusions,
    audit,
  });
  const proposals = new ProposalService({ store, corrections, audit });
  const jobs = new JobRunner(store, log);
  jobs.register("cluster", (ctx) =>
    cluster(
      { store, gallery, history, exclusions },
      {
        personThreshold: config.clustering.personThreshold,
        sightingThreshold: config.clustering.sightingThreshold,
        maxProposals: config.clustering.maxProposals,
        k: 10,
      },
      { jobId: ctx.job.id, progress: (f, m) => ctx.progress(f, m) },
    ),
  );
  await jobs.recover();
  if (config.history.enabled)
    bus.on("sighting", ({ sighting: x, isNew }) => {
      if (x.indexId !== null) history.onSighting(store, { ...x, indexId: x.indexId }, isNew);
    });

  const status = new StatusHandler(store, bus, deadLetters, config.mqtt.topicPrefix);
  let broker: EmbeddedBroker | undefined;
  let consumer: MqttConsumer | undefined;
  if (config.mqtt.url) {
    consumer = new MqttConsumer({
      url: config.mqtt.url,
      username: config.mqtt.username,
      password: config.mqtt.password,
      clientId: config.mqtt.clientId,
      prefix: config.mqtt.topicPrefix,
      ingestor,
      status,
      log,
      receiveWindow: config.mqtt.receiveWindow,
      receiveWindowBytes: config.mqtt.receiveWindowBytes,
    });
  } else {
    broker = new EmbeddedBroker({
      host: config.mqtt.host,
      port: config.mqtt.port,
      prefix: config.mqtt.topicPrefix,
      store,
      ingestor,
      status,
      metrics,
      log,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      discoveryPrefix: config.integrations.homeAssistant.discoveryPrefix,
    });
  }
  const publishMqtt = (topic: string, payload: string, o?: PublishOptions) =>
    broker ? broker.publish(topic, payload, o) : consumer!.publish(topic, payload, o);

  const sse = new SseHub(store.streamJournal, config.stream, log);
  await sse.prune();
  wireFanout({
    bus,
    sse,
    webhooks,
    publishMqtt,
    prefix: config.mqtt.topicPrefix,
    mqttSightings: config.integrations.mqttSightings,
    log,
  });
  const homeAssistant = config.integrations.homeAssistant.enabled
    ? new HomeAssistant({
        store,
        bus,
        publish: publishMqtt,
        prefix: config.mqtt.topicPrefix,
        settings: config.integrations.homeAssistant,
        log,
      })
    : undefined;
  const rates = new RateMeter();
  bus.on("sighting", ({ sighting }) => rates.mark(cameraKey(sighting.agentId, sighting.cameraId)));

  metrics.gauge("argus_persons", "Persons in the gallery", () => gallery.personCount);
  metrics.gauge("argus_index_faces", "Representative faces in the index", () => gallery.faceCount);
  metrics.gauge(
    "argus_index_unsnapshotted_changes",
    "Index changes not in the snapshot yet (each costs catch-up time at the next start after a crash)",
    () => gallery.changesSinceSnapshot,
  );
  metrics.gauge("argus_ingest_backlog", "Events waiting to be processed", () => ingestor.backlog);
  metrics.gauge(
    "argus_mqtt_unacknowledged",
    "External broker: messages received whose PUBACK waits for their commit",
    () => consumer?.unacknowledged ?? 0,
  );
  metrics.gauge("argus_sse_clients", "Connected event-stream clients", () => sse.size);

  const mqttUrl = () =>
    config.mqtt.url
      ? redactUrl(config.mqtt.url)
      : (config.mqtt.publicUrl ??
        `mqtt://${config.mqtt.host === "0.0.0.0" || config.mqtt.host === "::" ? "127.0.0.1" : config.mqtt.host}:${broker?.port ?? config.mqtt.port}`);

  const credentials = (id: string, password: string | null): AgentCredentials => ({
    id,
    mqtt: {
      url: mqttUrl(),
      username: id,
      password,
      ...(password === null
        ? { note: "an external broker is configured: create this agent's login and ACL there (see server/README.md)" }
        : {}),
    },
  });

  const registerAgent = async (id: string): Promise<AgentCredentials> => {
    // One login namespace on the embedded broker: agents and integration accounts.
    if (await store.integrations.get(id))
      throw conflict("CONFLICT", `'${id}' is an integration account's login; choose another agent id`);
    const password = config.mqtt.url ? null : secret(24);
    const ok = await store.agents.insert({
      id,
      passwordHash: password ? hashSecret(password) : "-",
      createdAt: Date.now(),
      status: null,
      statusAt: null,
      lastSeenAt: null,
    });
    if (!ok)
      throw conflict(
        "CONFLICT",
        `agent '${id}' is already registered; POST /api/v1/agents/${id}/credentials issues a new password`,
      );
    log.info({ agentId: id }, "agent registered");
    return credentials(id, password);
  };

  let snapshotTimer: NodeJS.Timeout | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let historyTimer: NodeJS.Timeout | undefined;
  let clusterTimer: NodeJS.Timeout | undefined;
  let mqttStarted = false;

  const services: Services = {
    config,
    store,
    gallery,
    crops,
    ingestor,
    personService,
    history,
    corrections,
    proposals,
    exclusions,
    jobs,
    audit,
    persons,
    regulars,
    bus,
    sse,
    webhooks,
    tokens: new TokenResolver(store),
    sessions: new SessionService(store, config.console, log),
    metrics,
    log,
    lock,
    startedAt: Date.now(),
    cameras,
    registerAgent,
    integrations: new IntegrationAccounts({
      store,
      mqttUrl,
      external: !!config.mqtt.url,
      broker: () => broker,
      filters: (scopes) =>
        scopeFilters(scopes, {
          prefix: config.mqtt.topicPrefix,
          discoveryPrefix: config.integrations.homeAssistant.discoveryPrefix,
        }),
      log,
    }),
    rotateAgent: async (id) => {
      if (config.mqtt.url) {
        if (!(await store.agents.get(id))) throw notFound("agent", id);
        return credentials(id, null);
      }
      const password = secret(24);
      if (!(await store.agents.setPassword(id, hashSecret(password)))) throw notFound("agent", id);
      broker?.disconnectAgent(id);
      return credentials(id, password);
    },
    removeAgent: async (id) => {
      const ok = await store.agents.delete(id);
      if (ok) broker?.disconnectAgent(id);
      return ok;
    },
    isAgentOnline: (id) => broker?.isOnline(id) ?? false,
    rebuildIndex: async () => {
      const t = performance.now();
      await lock.run(async () => {
        await gallery.load(store, { ignoreSnapshot: true });
        await gallery.snapshot();
      });
      return { faces: gallery.faceCount, ms: Math.round(performance.now() - t) };
    },
    brokerHealthy: () => mqttStarted && (broker ? true : (consumer?.connected ?? false)),
    cameraRates: () => rates.perMinute(),
  };

  // First start: an admin token, written to the data directory (mode 600) and returned to print once.
  const tokenFile = join(config.dataDir, ADMIN_TOKEN_FILE);
  let adminToken: string | undefined;
  let adminTokenCreated = false;
  if (!(await store.meta.get("admin-token-created"))) {
    const { token, hash } = newToken();
    await store.accounts.insertToken({
      id: randomUUID(),
      hash,
      role: "admin",
      name: "initial admin",
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
    });
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    await store.meta.set("admin-token-created", new Date().toISOString());
    adminToken = token;
    adminTokenCreated = true;
  } else if (existsSync(tokenFile)) {
    adminToken = readFileSync(tokenFile, "utf8").trim() || undefined;
  }

  // First start without console users: an 'admin' with a random password, kept like the admin token
  // (file mode 600, printed once), so the console can be used at once. `create-user` makes others.
  let consoleAdmin: RunningServer["consoleAdmin"];
  if (!(await store.meta.get("console-admin-created"))) {
    if ((await store.accounts.listUsers()).length === 0) {
      const password = secret(18);
      const user = await services.sessions.createUser({ name: "admin", role: "admin", password });
      const file = join(config.dataDir, ADMIN_PASSWORD_FILE);
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
      consoleAdmin = { name: user.name, password, file };
    }
    await store.meta.set("console-admin-created", new Date().toISOString());
  }

  // HTTP first, behind one gate: until the index is loaded and ingestion runs, only /health is served
  // (503 "starting", with the load's progress); everything else is 503 STARTING with Retry-After.
  const { app } = createApp(services);
  const handle = app.callback();
  let serving = false;
  const http: Server = createServer((req, res) => {
    if (serving || req.url === "/health" || req.url?.startsWith("/health?")) return void handle(req, res);
    const p = gallery.loading;
    res.writeHead(503, {
      "content-type": "application/json; charset=utf-8",
      "retry-after": "5",
      "x-content-type-options": "nosniff",
    });
    res.end(
      JSON.stringify({
        error: {
          code: "STARTING",
          message: `the server is starting (${p ? `face index: ${p.phase}${p.total ? ` ${p.done} of ${p.total} faces` : ""}` : "connecting MQTT"}); retry shortly`,
          ...(p ? { details: { index: p } } : {}),
        },
      }),
    );
  });
  http.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.http.port, config.http.host, () => resolve());
  });
  const addr = http.address();
  const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;

  try {
    let lastLog = 0;
    await gallery.load(store, {
      onProgress: async (p) => {
        if (p.phase === "catch-up" && p.total > 0 && p.seconds - lastLog >= 5) {
          lastLog = p.seconds;
          log.info(p, "loading the face index");
        }
        await opts.onIndexProgress?.(p);
      },
    });
    log.info({ ...gallery.lastLoad, persons: gallery.personCount, faces: gallery.faceCount }, "face index ready");
    await candidates.load(store, Date.now(), log);
    // Ingestion last: everything it feeds is ready.
    await webhooks.start();
    await (broker ? broker.start() : consumer!.start());
    mqttStarted = true;
    await homeAssistant?.start();
  } catch (e) {
    homeAssistant?.stop();
    webhooks.stop();
    if (mqttStarted) await (broker ? broker.stop() : consumer!.stop()).catch(() => {});
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
    if (!opts.store) await store.close();
    throw e;
  }
  serving = true;

  // Snapshots when enough changed (a kill then costs at most that many faces of catch-up at the next
  // start) or, if anything changed, when the interval has passed; written without holding the lock.
  const snapshotEvery = config.identify.snapshotEveryChanges;
  const snapshotIntervalMs = config.identify.snapshotIntervalSeconds * 1000;
  let lastSnapshotAt = Date.now();
  let snapshotting = false;
  snapshotTimer = setInterval(() => {
    const due =
      gallery.ready &&
      gallery.dirty &&
      (gallery.changesSinceSnapshot >= snapshotEvery || Date.now() - lastSnapshotAt >= snapshotIntervalMs);
    if (!due || snapshotting) return;
    snapshotting = true;
    lastSnapshotAt = Date.now();
    gallery
      .snapshot()
      .then((st) => log.info(st, "index snapshot written"))
      .catch((e) => log.error({ err: (e as Error).message }, "index snapshot failed"))
      .finally(() => (snapshotting = false));
  }, 1000);
  snapshotTimer.unref();

  // The history index loads in the background (searches meanwhile cover what is loaded), then is
  // snapshotted like the gallery: after history.snapshotEveryChanges changes, or at the interval.
  let historyLoad: Promise<unknown> = Promise.resolve();
  let historySnapshotAt = Date.now();
  let historySnapshotting: Promise<unknown> | undefined;
  if (config.history.enabled) {
    historyLoad = history
      .load(store)
      .then((r) => log.info({ ...r, sightings: history.size, seconds: history.loading.seconds }, "history index ready"))
      .catch((e) => {
        history.failed();
        log.error({ err: (e as Error).message }, "history index load failed");
      });
    historyTimer = setInterval(() => {
      const due =
        history.ready &&
        history.dirty &&
        (history.changesSinceSnapshot >= config.history.snapshotEveryChanges ||
          Date.now() - historySnapshotAt >= snapshotIntervalMs);
      if (!due || historySnapshotting) return;
      historySnapshotAt = Date.now();
      historySnapshotting = history
        .snapshot()
        .then((st) => log.info(st, "history index snapshot written"))
        .catch((e) => log.error({ err: (e as Error).message }, "history index snapshot failed"))
        .finally(() => (historySnapshotting = undefined));
    }, 1000);
    historyTimer.unref();
  }
  if (config.clustering.intervalHours > 0) {
    clusterTimer = setInterval(
      () =>
        void jobs
          .start("cluster", "system:schedule")
          .catch((e) => log.error({ err: (e as Error).message }, "clustering not started")),
      config.clustering.intervalHours * 3_600_000,
    );
    clusterTimer.unref();
  }

  const retention = () =>
    runRetention({
      store,
      crops,
      persons: personService,
      regulars,
      days: config.retention.days,
      keepListed: config.retention.keepListed,
      dedupDays: config.ingest.dedupDays,
      deadLetterDays: config.deadLetters.retentionDays,
      auditDays: config.audit.days,
      onSightingsDeleted: (ids) => history.removeSightings(ids),
      metrics,
      log,
    }).catch((e) => log.error({ err: (e as Error).message }, "retention run failed"));
  retentionTimer = setInterval(retention, config.retention.intervalMinutes * 60_000);
  retentionTimer.unref();
  void retention();

  log.info({ http: httpPort, mqtt: mqttUrl(), adminTokenCreated }, "argus server ready");

  let stopped = false;
  return {
    config,
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    get mqttUrl() {
      return mqttUrl();
    },
    adminToken,
    adminTokenCreated,
    consoleAdmin,
    registerAgent,
    ensureAgent: async (id) => ((await store.agents.get(id)) ? services.rotateAgent(id) : registerAgent(id)),
    services,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(snapshotTimer);
      clearInterval(retentionTimer);
      clearInterval(historyTimer);
      clearInterval(clusterTimer);
      jobs.stop();
      ingestor.stop();
      homeAssistant?.stop();
      await (broker ? broker.stop() : consumer!.stop()).catch((e) =>
        log.warn({ err: (e as Error).message }, "MQTT stop"),
      );
      // After the batch in progress (the lock), and after a snapshot being written: the last one.
      await lock.run(async () => {
        if (gallery.dirty)
          await gallery
            .snapshot()
            .then((st) => log.info(st, "index snapshot written"))
            .catch((e) => log.error({ err: (e as Error).message }, "index snapshot failed"));
      });
      await jobs.idle();
      // The history index: its load stops (a partial one is not written); a snapshot in progress ends.
      history.abort();
      await historyLoad;
      await historySnapshotting;
      if (history.ready && history.dirty)
        await history
          .snapshot()
          .then((st) => log.info(st, "history index snapshot written"))
          .catch((e) => log.error({ err: (e as Error).message }, "history index snapshot failed"));
      webhooks.stop();
      await sse.flush();
      sse.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await store.close();
      log.info("argus server stopped");
    },
  };
}
