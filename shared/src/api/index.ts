/**
 * The REST contract: operations (operations/), what clients send (requests.ts), what the server
 * answers (responses.ts), shared building blocks (common.ts) and closed sets (enums.ts). The
 * console imports only types from here, and the constants of enums.ts.
 */
import type { z } from "zod";
import type * as C from "./common.ts";
import type * as E from "./enrol.ts";
import type * as I from "./identities.ts";
import type * as G from "./integrations.ts";
import type { OperationId, Operations } from "./operations/index.ts";
import type * as S from "./responses.ts";
import type * as T from "./triage.ts";

export * from "./common.ts";
export * from "./enrol.ts";
export * from "./enums.ts";
export * from "./identities.ts";
export * from "./integrations.ts";
export * from "./operations/index.ts";
export * from "./requests.ts";
export * from "./responses.ts";
export * from "./triage.ts";

type Op<K extends OperationId> = Operations[K];

/** The JSON body an operation answers with (what the client receives). */
export type ResponseOf<K extends OperationId> = Op<K>["response"] extends { schema: infer R extends z.ZodType }
  ? z.output<R>
  : never;
/** The JSON request body an operation takes (what the client sends). */
export type BodyOf<K extends OperationId> =
  Op<K> extends { body: { type: "json"; schema: infer B extends z.ZodType } } ? z.input<B> : never;
/** The query parameters an operation takes (what the client sends). */
export type QueryOf<K extends OperationId> = Op<K> extends { query: infer Q extends z.ZodType } ? z.input<Q> : never;

export type ErrorBody = z.output<typeof C.ErrorSchema>;
export type Person = z.output<typeof S.PersonSchema>;
export type PersonBrief = z.output<typeof S.PersonBriefSchema>;
export type PersonListItem = z.output<typeof S.PersonListItemSchema>;
export type PersonDetail = z.output<typeof S.PersonDetailSchema>;
export type Face = z.output<typeof S.FaceSchema>;
export type Sighting = z.output<typeof S.SightingSchema>;
export type Alert = z.output<typeof S.AlertSchema>;
export type Camera = z.output<typeof S.CameraSchema>;
export type Agent = z.output<typeof S.AgentSchema>;
export type AgentCredentials = z.output<typeof S.AgentCredentialsSchema>;
export type Token = z.output<typeof S.TokenSchema>;
export type User = z.output<typeof S.UserSchema>;
export type Webhook = z.output<typeof S.WebhookSchema>;
export type Delivery = z.output<typeof S.DeliverySchema>;
export type DeadLetter = z.output<typeof S.DeadLetterSchema>;
export type Principal = z.output<typeof S.PrincipalSchema>;
export type SearchResult = z.output<typeof S.SearchResultSchema>;
export type AuditEntry = z.output<typeof I.AuditEntrySchema>;
export type Job = z.output<typeof I.JobSchema>;
export type Proposal = z.output<typeof I.ProposalSchema>;
export type Visit = z.output<typeof I.VisitSchema>;
export type HistorySearchResult = z.output<typeof I.HistorySearchResultSchema>;
export type MoveResult = z.output<typeof I.MoveResultSchema>;
export type Integration = z.output<typeof G.IntegrationSchema>;
export type IntegrationCredentials = z.output<typeof G.IntegrationCredentialsSchema>;
export type IntegrationScope = z.output<typeof G.IntegrationScopeSchema>;
export type Mute = z.output<typeof T.MuteSchema>;
export type BulkAckResult = z.output<typeof T.BulkAckResultSchema>;
export type Settings = z.output<typeof T.SettingsSchema>;
export type Page<T> = { items: T[]; nextCursor: string | null };

/** `data` of an event of the given type on GET /api/v1/stream. */
export type StreamEvent<T extends keyof typeof S.StreamEventSchemas> = z.output<(typeof S.StreamEventSchemas)[T]>;
export type BulkFileResult = z.output<typeof E.BulkFileResultSchema>;
export type BulkReport = z.output<typeof E.BulkReportSchema>;
