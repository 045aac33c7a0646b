/**
 * The identity work's services, built on the gallery and the person service: the history index (every
 * sighting, searchable by photo), the audit log, corrections, clustering proposals and the job runner
 * (clustering registered). Jobs a stopped server left unfinished are marked failed here.
 */
import { join } from "node:path";
import { EMBEDDING_DIM, featureModelId, type Logger } from "@argus/shared";
import type { MuteSet } from "../alerts/mutes.ts";
import type { Regulars } from "../alerts/regulars.ts";
import { AuditLog } from "../audit/audit.ts";
import type { Config } from "../config/config.ts";
import type { Bus } from "../domain/bus.ts";
import { cluster } from "../identify/clustering.ts";
import { CorrectionService } from "../identify/corrections.ts";
import type { Exclusions } from "../identify/exclusions.ts";
import type { Gallery } from "../identify/gallery.ts";
import { HistoryIndex } from "../identify/history.ts";
import type { IdAllocator } from "../identify/ids.ts";
import type { PersonCache } from "../identify/personCache.ts";
import type { PersonService } from "../identify/persons.ts";
import { ProposalService } from "../identify/proposals.ts";
import { JobRunner } from "../jobs/runner.ts";
import type { CropStore } from "../store/crops.ts";
import type { Store } from "../store/types.ts";
import type { Mutex } from "../util/mutex.ts";

export async function identityServices(d: {
  store: Store;
  gallery: Gallery;
  crops: CropStore;
  config: Config;
  bus: Bus;
  lock: Mutex;
  ids: IdAllocator;
  regulars: Regulars;
  persons: PersonCache;
  personService: PersonService;
  exclusions: Exclusions;
  mutes: MuteSet;
  log: Logger;
}) {
  const { store, gallery, config, bus, exclusions, log } = d;
  const model = featureModelId();
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
  const corrections = new CorrectionService({ ...d, history, audit });
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
  return { history, audit, corrections, proposals, jobs };
}
