/** The HTTP API as an express app, built from its dependencies so that tests run the real thing. */
import type { Client } from '@temporalio/client';
import express, { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { nexusEndpointsOf } from '../config';
import { createHealthRoutes } from './health';
import { createSagaRouter, notFoundHandler, problemHandler, refuseUnlistedMethods } from './saga/express';
import { createOpenApiDocument } from './openapi';
import type { TokenSettings } from './access-tokens';
import { createTokenVerifier, loadTokenSettings } from './access-tokens';
import { createAuthenticator } from './authentication';
import type { NexusEndpoints, TaskQueues } from '../workflows/task-queues';
import { orderTrigger } from './orders/trigger';
import type { RateLimits } from './rate-limit';
import { createRateLimitGuards, noRateLimits } from './rate-limit';
import { createLogger, requestLogger } from './request-log';
import type { AnySagaTrigger } from './saga/express';

/**
 * The app's settings from the process configuration; `tokenSource` says where its token keys come from (the JWKS
 * URL, `API_TOKEN_SECRET`, or the development secret's file).
 */
export async function appSettings(config: Config): Promise<Omit<AppDeps, 'client'> & { tokenSource: string }> {
  const { settings, source } = await loadTokenSettings(config);
  return {
    taskQueues: config.taskQueues,
    nexusEndpoints: nexusEndpointsOf(config.nexus),
    webUiUrl: config.webUiUrl,
    tokens: settings,
    tokenSource: source,
    operatorToken: config.api.operatorToken,
    logger: createLogger(config.api.logLevel, config.api.logFormat),
    waitTimeoutMs: config.api.waitTimeoutMs,
    temporalTimeoutMs: config.api.temporalTimeoutMs,
    rateLimits: config.api.rateLimits,
    trustProxy: config.api.trustProxy,
  };
}

export interface AppDeps {
  client: Client;
  /** Base URL of the Temporal Web UI, for links to each saga's page. @default no links */
  webUiUrl?: string | undefined;
  /** How callers' JWTs are verified, and what they must say. */
  tokens: TokenSettings;
  /** A bearer token that makes its caller an operator. @default none: only a JWT with the operator role does */
  operatorToken?: string | undefined;
  /** @default pino at 'info' */
  logger?: Logger;
  /** Where the order saga's services poll, when a deployment renamed their task queues. @default the services' names */
  taskQueues?: TaskQueues;
  /** The services the order saga reaches over Nexus, by endpoint (`SERVICE_WIRING=nexus`). @default none */
  nexusEndpoints?: NexusEndpoints;
  /** Further sagas the API triggers beside the orders, each with its routes under its own resource. @default none */
  sagas?: readonly AnySagaTrigger[];
  /** How long `?wait=` may hold a request. @default 5000 */
  waitTimeoutMs?: number;
  /** How long any other call to Temporal may take before a 503. @default 2500 */
  temporalTimeoutMs?: number;
  /** Each caller's starts and reads a minute; operators are not limited. @default no limits */
  rateLimits?: RateLimits;
  /**
   * Express's `trust proxy`: the proxies whose `X-Forwarded-For` names the client (a hop count, or their addresses).
   * @default false: the client is the socket's peer, and `X-Forwarded-For` is ignored
   */
  trustProxy?: number | readonly string[] | false;
}

export function createApp(deps: AppDeps): express.Express {
  const { client, temporalTimeoutMs = 2500 } = deps;
  const sagas = [orderTrigger(deps.taskQueues, deps.nexusEndpoints), ...(deps.sagas ?? [])];
  const taken = new Set<string>();
  for (const { resource } of sagas) {
    if (taken.has(resource)) throw new Error(`Two sagas are declared under /${resource}: give each its own resource.`);
    taken.add(resource);
  }
  const openApiDocument = createOpenApiDocument(sagas);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(requestLogger(deps.logger ?? createLogger('info')));
  const openApiRoute = Router().get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  // Each router answers the methods its routes lack with 405 and `Allow`; a path none serves is the 404 below.
  app.use(refuseUnlistedMethods(createHealthRoutes(client, temporalTimeoutMs)));
  app.use(refuseUnlistedMethods(openApiRoute));
  const routeDeps = {
    client,
    webUiUrl: deps.webUiUrl,
    authenticate: createAuthenticator({
      operatorToken: deps.operatorToken,
      verifyToken: createTokenVerifier(deps.tokens),
    }),
    rateLimit: createRateLimitGuards(deps.rateLimits ?? noRateLimits),
    waitTimeoutMs: deps.waitTimeoutMs ?? 5000,
    temporalTimeoutMs,
  };
  for (const saga of sagas) app.use(`/${saga.resource}`, createSagaRouter(saga, routeDeps));
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
