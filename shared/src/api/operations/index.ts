/**
 * Every operation of the REST API, described once: method, path, the role it needs, its inputs and
 * its response. The server registers its routes from this table (and validates inputs with it), the
 * OpenAPI document is generated from it, and the console's types come from it.
 */
import { adminOperations } from "./admin.ts";
import { consoleOperations } from "./console.ts";
import { enrolOperations } from "./enrol.ts";
import { identityOperations } from "./identities.ts";
import { integrationOperations } from "./integrations.ts";
import { peopleOperations } from "./people.ts";
import { systemOperations } from "./system.ts";
import { triageOperations } from "./triage.ts";

export type { Body, Method, Operation, Response } from "./types.ts";

export const operations = {
  ...systemOperations,
  ...peopleOperations,
  ...enrolOperations,
  ...adminOperations,
  ...identityOperations,
  ...integrationOperations,
  ...consoleOperations,
  ...triageOperations,
};

export type Operations = typeof operations;
export type OperationId = keyof Operations;
