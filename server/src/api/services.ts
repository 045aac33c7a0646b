/** Everything a running server is made of, handed to the API routes. */
import type { Logger } from "@argus/shared";
import type { MuteSet } from "../alerts/mutes.ts";
import type { Regulars } from "../alerts/regulars.ts";
import type { AuditLog } from "../audit/audit.ts";
import type { Config } from "../config/config.ts";
import type { Bus } from "../domain/bus.ts";
import type { BulkEnrolment } from "../identify/bulkEnrol.ts";
import type { CorrectionService } from "../identify/corrections.ts";
import type { Exclusions } from "../identify/exclusions.ts";
import type { Gallery } from "../identify/gallery.ts";
import type { HistoryIndex } from "../identify/history.ts";
import type { PersonCache } from "../identify/personCache.ts";
import type { PersonService } from "../identify/persons.ts";
import type { ProposalService } from "../identify/proposals.ts";
import type { Ingestor } from "../ingest/ingestor.ts";
import type { SnapshotStore } from "../ingest/snapshots.ts";
import type { JobRunner } from "../jobs/runner.ts";
import type { IntegrationAccounts } from "../notify/integrationAccounts.ts";
import type { SseHub } from "../notify/sseHub.ts";
import type { WebhookWorker } from "../notify/webhooks.ts";
import type { ServerMetrics } from "../ops/metrics.ts";
import type { CropStore } from "../store/crops.ts";
import type { Store } from "../store/types.ts";
import type { SessionService } from "../users/sessions.ts";
import type { Mutex } from "../util/mutex.ts";
import type { TokenResolver } from "./auth.ts";

export interface AgentCredentials {
  id: string;
  mqtt: { url: string; username: string; password: string | null; note?: string };
}

export interface Services {
  config: Config;
  store: Store;
  gallery: Gallery;
  crops: CropStore;
  /** The latest snapshot of each camera's view. */
  snapshots: SnapshotStore;
  ingestor: Ingestor;
  personService: PersonService;
  /** Bulk enrolment: zip archives and named files (identify/bulkEnrol.ts). */
  bulkEnrolment: BulkEnrolment;
  /** Every sighting's face (search by photo over all history, clustering). */
  history: HistoryIndex;
  /** Move, split, delete and merge with the history index, exclusions and the audit log. */
  corrections: CorrectionService;
  proposals: ProposalService;
  exclusions: Exclusions;
  /** Operators' mutes in memory (the ingestor reads them per alert); routes keep them current. */
  mutes: MuteSet;
  jobs: JobRunner;
  audit: AuditLog;
  persons: PersonCache;
  regulars: Regulars;
  bus: Bus;
  sse: SseHub;
  webhooks: WebhookWorker;
  tokens: TokenResolver;
  /** Console users and sign-in sessions. */
  sessions: SessionService;
  metrics: ServerMetrics;
  log: Logger;
  lock: Mutex;
  startedAt: number;
  /** Camera sensitivity cache (the ingestor reads it per event). */
  cameras: Map<string, { sensitive: boolean }>;
  registerAgent(id: string): Promise<AgentCredentials>;
  /** Integration accounts: read-only MQTT logins (routes/integrations.ts). */
  integrations: IntegrationAccounts;
  rotateAgent(id: string): Promise<AgentCredentials>;
  removeAgent(id: string): Promise<boolean>;
  isAgentOnline(id: string): boolean;
  rebuildIndex(): Promise<{ faces: number; ms: number }>;
  brokerHealthy(): boolean;
  /** Events per minute per camera over the last minute. */
  cameraRates(): Map<string, number>;
}
