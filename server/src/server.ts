import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { createLogger, EMBEDDING_DIM, FacePipeline, featureModelId, type Logger, redactUrl } from "@argus/shared";
import { MuteSet } from "./alerts/mutes.ts";
import { Regulars } from "./alerts/regulars.ts";
import { Cooldown } from "./alerts/rules.ts";
import { createApp } from "./api/app.ts";
import { TokenResolver } from "./api/auth.ts";
import type { AgentCredentials, Services } from "./api/services.ts";
import { type Config, type ConfigInput, parseConfig } from "./config/config.ts";
import { prepareDataDir } from "./dataDir.ts";
import { Bus } from "./domain/bus.ts";
import { cameraKey } from "./domain/types.ts";
import { BulkEnrolment } from "./identify/bulkEnrol.ts";
import { runtimeCalibration } from "./identify/calibrated.ts";
import { CandidatePool } from "./identify/creation.ts";
import { Exclusions } from "./identify/exclusions.ts";
import { Gallery, type LoadProgress } from "./identify/gallery.ts";
import { IdAllocator } from "./identify/ids.ts";
import { PersonCache } from "./identify/personCache.ts";
import { PersonService } from "./identify/persons.ts";
import { scopeFilters } from "./ingest/acl.ts";
import { EmbeddedBroker, type PublishOptions } from "./ingest/broker.ts";
import { MqttConsumer } from "./ingest/consumer.ts";
import { DeadLetterKeeper } from "./ingest/deadLetters.ts";
import { Ingestor } from "./ingest/ingestor.ts";
import { SnapshotStore } from "./ingest/snapshots.ts";
import { StatusHandler } from "./ingest/status.ts";
import { wireFanout } from "./notify/fanout.ts";
import { HomeAssistant } from "./notify/homeAssistant.ts";
import { IntegrationAccounts } from "./notify/integrationAccounts.ts";
import { SseHub } from "./notify/sseHub.ts";
import { WebhookWorker } from "./notify/webhooks.ts";
import { serverMetrics } from "./ops/metrics.ts";
import { runRetention } from "./retention/retention.ts";
import { AgentAccounts } from "./startup/agents.ts";
import { ensureAdminToken, ensureConsoleAdmin } from "./startup/firstRun.ts";
import { identityServices } from "./startup/identities.ts";
import { SnapshotSchedule } from "./startup/snapshots.ts";
import { CropStore } from "./store/crops.ts";
import { openStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { SessionService } from "./users/sessions.ts";
import { assertTimeZone } from "./util/days.ts";
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
  const mutes = new MuteSet(await store.mutes.list(Date.now()));
  const ingestor = new Ingestor({
    mutes,
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

  const { history, audit, corrections, proposals, jobs } = await identityServices({
    store,
    gallery,
    crops,
    config,
    bus,
    lock,
    ids,
    regulars,
    persons,
    personService,
    exclusions,
    mutes,
    log,
  });
  const bulkEnrolment = new BulkEnrolment({ personService, store, persons, audit, config });

  const snapshots = new SnapshotStore(join(config.dataDir, "snapshots"));
  const status = new StatusHandler(store, bus, deadLetters, config.mqtt.topicPrefix, snapshots, log);
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

  const agents = new AgentAccounts({ store, config, broker: () => broker, log });
  const { mqttUrl, register: registerAgent } = agents;

  let retentionTimer: NodeJS.Timeout | undefined;
  let clusterTimer: NodeJS.Timeout | undefined;
  let mqttStarted = false;

  const services: Services = {
    config,
    store,
    gallery,
    crops,
    snapshots,
    ingestor,
    personService,
    bulkEnrolment,
    history,
    corrections,
    proposals,
    exclusions,
    mutes,
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
    rotateAgent: agents.rotate,
    removeAgent: agents.remove,
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

  // First start: an admin token and console user, printed once (startup/firstRun.ts).
  const { adminToken, adminTokenCreated } = await ensureAdminToken(store, config.dataDir);
  const consoleAdmin = await ensureConsoleAdmin(store, services.sessions, config.dataDir);

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
    await crops.close();
    if (!opts.store) await store.close();
    throw e;
  }
  serving = true;

  const snapshotIntervalMs = config.identify.snapshotIntervalSeconds * 1000;
  const gallerySnapshots = new SnapshotSchedule(gallery, {
    name: "index",
    everyChanges: config.identify.snapshotEveryChanges,
    intervalMs: snapshotIntervalMs,
    log,
  });
  gallerySnapshots.start();
  const historySnapshots = new SnapshotSchedule(history, {
    name: "history index",
    everyChanges: config.history.snapshotEveryChanges,
    intervalMs: snapshotIntervalMs,
    log,
  });

  // The history index loads in the background (searches meanwhile cover what is loaded), then is
  // snapshotted like the gallery: after history.snapshotEveryChanges changes, or at the interval.
  let historyLoad: Promise<unknown> = Promise.resolve();
  if (config.history.enabled) {
    historyLoad = history
      .load(store)
      .then((r) => log.info({ ...r, sightings: history.size, seconds: history.loading.seconds }, "history index ready"))
      .catch((e) => {
        history.failed();
        log.error({ err: (e as Error).message }, "history index load failed");
      });
    historySnapshots.start();
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
      gallerySnapshots.stop();
      historySnapshots.stop();
      clearInterval(retentionTimer);
      clearInterval(clusterTimer);
      jobs.stop();
      ingestor.stop();
      homeAssistant?.stop();
      await (broker ? broker.stop() : consumer!.stop()).catch((e) =>
        log.warn({ err: (e as Error).message }, "MQTT stop"),
      );
      // After the batch in progress (the lock), and after a snapshot being written: the last one.
      await lock.run(() => gallerySnapshots.final());
      await jobs.idle();
      // The history index: its load stops (a partial one is not written); a snapshot in progress ends.
      history.abort();
      await historyLoad;
      await historySnapshots.final();
      webhooks.stop();
      await sse.flush();
      sse.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await crops.close();
      await store.close();
      log.info("argus server stopped");
    },
  };
}
