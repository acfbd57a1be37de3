/**
 * The framework's HTTP trigger. One declaration per saga (its zod input schema, workflow, task queue, business
 * key, and how its resource reads) yields every route a client needs, with no route code of its own:
 *
 * | route                                        | what it does                                                  |
 * |----------------------------------------------|---------------------------------------------------------------|
 * | `POST /<resource>`                           | validates, starts the saga, answers 202 (`?wait=` waits a step) |
 * | `GET /<resource>`                            | lists sagas through visibility, filtered, with a cursor       |
 * | `GET /<resource>/:id`                        | the resource and its saga's state, with or without workers   |
 * | `POST /<resource>/:id/cancel`                | 202 before the pivot, 409 with the reason after              |
 * | `GET /<resource>/:id/history`                | the saga's timeline, and its raw event history              |
 * | `POST /<resource>/:id/compensations/resolve` | an operator resolves an escalated compensation              |
 *
 * Every route first authenticates its caller (`SagaRouteDeps.authenticate`: 401 without valid credentials), then
 * asks the declaration's authorization hook (`access`, see access.ts) whether this caller may do this: a saga the
 * caller may not read is a 404, like one that does not exist. Starts and reads (the three `GET`s) then go through
 * the app's rate limits, when it has them (api/rate-limit.ts), counted per caller.
 *
 * The same declaration yields the routes' OpenAPI entries (`registerSagaTriggerDocs`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Client, Workflow, WorkflowExecutionDescription } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Request, RequestHandler, Response } from 'express';
import express, { Router } from 'express';
import { z } from 'zod';
import type { SagaState } from '../../workflows/saga';
import { refuseUnlistedMethods } from './method-not-allowed';
import { createProblemHandler, HttpProblem, invalidFieldsProblem, ProblemType, validationProblem } from './problem';
import { isNotFound } from './temporal-errors';
import type { Caller, SagaAccess, SagaFacts } from './access';
import { callerOf, operatorsOnly, setCallerOf } from './access';
import type { PublishedSagaState, SagaRead } from './client';
import {
  cancelSaga,
  listSagas,
  readSagaState,
  resolveCompensation,
  resolveCompensations,
  startSaga,
  startSagaAndWaitForStep,
} from './client';
import { sagaHistory } from './history';
import { InvalidCursorError } from './list-cursor';
import { CancelRequestSchema, ResolutionSchema } from './schemas';

/** A visibility filter a list request may set: `?<name>=<value>`. */
export interface ListFilter {
  /** Validates the value; only values it accepts reach the query, so nothing can be injected. */
  schema: z.ZodType<string>;
  /** The visibility query clause for a valid value, e.g. `CustomerId = 'c-1'`. */
  clause: (value: string) => string;
  description: string;
}

export interface SagaTrigger<Input extends z.ZodType, W extends Workflow> {
  /** The collection, in the path: `orders` serves `/orders`. */
  resource: string;
  /** One of them, for ids and docs: `order` names the id `orderId`. */
  singular: string;
  /** The request body of `POST /<resource>`. */
  input: Input;
  /** The workflow function, or its type name when the API does not import workflow code. */
  workflow: W | string;
  /** The workflow type, when it is not the function's name (a workflow exported under another name). @default the name */
  workflowType?: string;
  taskQueue: string;
  /** The saga's business key. @default `<singular>-<id>` */
  workflowId?: (id: string) => string;
  /** The workflow's arguments, from the valid input and the new resource id. */
  args: (input: z.infer<Input>, id: string) => Parameters<W>;
  /** One line for the Web UI (markdown). @default none */
  summary?: (input: z.infer<Input>, id: string) => string;
  /** Longer markdown for the Web UI. @default none */
  details?: (input: z.infer<Input>, id: string) => string;
  /** The domain's search attributes, set at start. @default none */
  searchAttributes?: (input: z.infer<Input>, id: string) => SearchAttributePair[];
  /** `false` for a saga run with `searchAttributes: false`: its start sets no `SagaStatus`. @default true */
  sagaSearchAttributes?: boolean;
  /**
   * The resource's own status: `of` reads it off the saga's state; `ofPublished` off what a saga publishes (status
   * and current step), for a read that finds no worker to answer. @default the saga's status
   */
  status?: {
    values: readonly [string, ...string[]];
    of: (state: SagaState) => string;
    ofPublished: (state: PublishedSagaState) => string;
  };
  /** List filters beyond the built-in ones. @default none */
  filters?: Record<string, ListFilter>;
  /** Steps a start may wait for (`?wait=<name>`), by name, e.g. `{ charged: 'chargePayment' }`. @default none */
  waitPoints?: Record<string, string>;
  /** HTTP status for a saga failure a waiting request sees, by failure type. @default 409 for every type */
  failureStatus?: Record<string, number>;
  /** Who may start, list, read, cancel, see the history of, and resolve these sagas. @default operators only */
  access?: SagaAccess<z.infer<Input>>;
}

/**
 * A trigger of any saga, for lists of them. `any` is the honest type here: each trigger's input and workflow types
 * are checked where it is declared, and a list of different sagas has no common one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaTrigger = SagaTrigger<any, any>;

/**
 * The limits the trigger puts on its routes, per caller (the order system's are in api/rate-limit.ts): each guard
 * answers a spent budget itself (a 429).
 */
export interface RateLimitGuards {
  /** Runs before a start (`POST /<resource>`), after authentication. */
  starts: RequestHandler;
  /** Runs before a read (one saga, its history, the list), after authentication. */
  reads: RequestHandler;
  /** Counts a request that authentication refused; throws the 429 once its sender has spent their budget. */
  refusedCredentials: (req: Request, res: Response) => void;
}

export interface SagaRouteDeps {
  client: Client;
  /** Base URL of the Temporal Web UI, to link each saga's page. */
  webUiUrl?: string | undefined;
  /**
   * Who is calling: a {@link Caller}, or an error the app answers (a 401 problem) when the request carries no valid
   * credentials. Every route asks it first.
   */
  authenticate: (req: Request) => Promise<Caller>;
  /** Where the routes log what they did, when the request has no logger of its own. @default nowhere */
  logger?: SagaLogger | undefined;
  /** Limits each caller's starts and reads. @default no limits */
  rateLimit?: RateLimitGuards | undefined;
  /** How long a request waits for a saga step before answering 202. */
  waitTimeoutMs: number;
  /** Every other call to Temporal must answer within this, or the request gets a 503. */
  temporalTimeoutMs: number;
  /**
   * How long a read waits for a running saga's worker to answer before it answers with what the saga published,
   * marked stale. @default 500
   */
  stateQueryTimeoutMs?: number | undefined;
}

/** What a trigger's routes are built from, with its defaults applied. */
export function describeTrigger<Input extends z.ZodType, W extends Workflow>(trigger: SagaTrigger<Input, W>) {
  return {
    idField: `${trigger.singular}Id`,
    workflowType:
      trigger.workflowType ?? (typeof trigger.workflow === 'string' ? trigger.workflow : trigger.workflow.name),
    workflowIdOf: trigger.workflowId ?? ((id: string) => `${trigger.singular}-${id}`),
    statusOf: trigger.status?.of ?? ((state: SagaState) => state.status),
    publishedStatusOf: trigger.status?.ofPublished ?? ((state: PublishedSagaState) => state.status),
  };
}

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 visible ASCII characters')
  .describe('Repeats of a request with the same key return the same resource and start nothing new.');

/** Request bodies above this size are refused with 413. */
const bodyLimit = '64kb';

export const PageSizeSchema = z.coerce.number().int().min(1).max(100).default(20);
export const CursorSchema = z.string().regex(/^[\w-]{1,2000}$/, 'expected the nextCursor of a previous page');
const IdSchema = z.uuid();
export const HistoryQuerySchema = z.strictObject({
  diagnostics: z
    .enum(['true', 'false'])
    .optional()
    .describe("Operators: keep the failures' stack traces and the workers' identities in the raw events."),
});

/**
 * The resource id for a caller's `Idempotency-Key`: the same caller's same key always names the same saga, so that
 * concurrent repeats meet at one workflow id (Temporal starts it once) instead of racing. Keys are the caller's own:
 * two callers who pick the same key name two sagas, and neither can reach the other's through it.
 */
export function idForKey(resource: string, subject: string, key: string): string {
  const bytes = createHash('sha256').update(`${resource}\n${subject}\n${key}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // UUID version 8: application-defined
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

/** What the trigger logs with: pino's shape. */
export interface SagaLogger {
  info: (fields: Record<string, unknown>, message: string) => void;
  error: (fields: Record<string, unknown>, message: string) => void;
}

const silentLogger: SagaLogger = { info: () => undefined, error: () => undefined };

/** What a request-logging middleware (pino-http) may have put on a request: its id, and a logger bound to it. */
type LoggedRequest = Request & { id?: unknown; log?: SagaLogger };

/** The request's id: the one a request logger gave it, else the caller's `X-Request-Id`, else a new one. */
function requestIdOf(req: LoggedRequest): string {
  if (typeof req.id === 'string' || typeof req.id === 'number') return String(req.id);
  const offered = req.get('x-request-id');
  return offered && /^[\w.:-]{1,128}$/.test(offered) ? offered : randomUUID();
}

/** The caller `authenticated` found: every route runs it first. */
function callerOfRoute(req: Request): Caller {
  const caller = callerOf(req);
  if (!caller) throw new Error('The route ran without authentication.');
  return caller;
}

function fingerprint(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('base64url');
}

export function createSagaRouter<Input extends z.ZodType, W extends Workflow>(
  trigger: SagaTrigger<Input, W>,
  deps: SagaRouteDeps,
): Router {
  const { client, webUiUrl } = deps;
  const pass: RequestHandler = (_req, _res, next) => next();
  const { starts: limitStarts, reads: limitReads } = deps.rateLimit ?? { starts: pass, reads: pass };
  const { idField, workflowType, workflowIdOf, statusOf, publishedStatusOf } = describeTrigger(trigger);
  const access: SagaAccess<z.infer<Input>> = trigger.access ?? operatorsOnly;
  /** The request's own logger (pino-http's `req.log`) when the app has one, else the trigger's. */
  const logOf = (req: LoggedRequest): SagaLogger => req.log ?? deps.logger ?? silentLogger;
  /** Runs first on every route: the caller, kept for the guards and the route. */
  const authenticated: RequestHandler = async (req, res, next) => {
    let caller: Caller;
    try {
      caller = await deps.authenticate(req);
    } catch (error) {
      deps.rateLimit?.refusedCredentials(req, res);
      throw error;
    }
    setCallerOf(req, caller);
    next();
  };
  const router = Router();
  // Its own body parser: an app that parsed the body already is not parsed twice.
  router.use(express.json({ limit: bodyLimit, type: ['application/json', 'application/*+json'] }));
  const withinDeadline = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Date.now() + deps.temporalTimeoutMs, fn);

  const links = (id: string) => ({
    self: `/${trigger.resource}/${id}`,
    ...(webUiUrl
      ? {
          webUi: `${webUiUrl}/namespaces/${encodeURIComponent(client.options.namespace)}/workflows/${encodeURIComponent(workflowIdOf(id))}`,
        }
      : {}),
  });
  const view = (id: string, read: SagaRead) => ({
    [idField]: id,
    status: read.stale ? publishedStatusOf(read.state) : statusOf(read.state),
    stale: read.stale,
    saga: read.state,
    links: links(id),
  });

  /** The `:id` of a route, or 404: ids are UUIDs, anything else names nothing. */
  const idOf = (req: Request): string => {
    const id = String(req.params.id);
    if (!IdSchema.safeParse(id).success) {
      throw new HttpProblem(ProblemType.NotFound, `There is no ${trigger.singular} ${id}.`);
    }
    return id;
  };
  const notFound = (id: string) => new HttpProblem(ProblemType.NotFound, `There is no ${trigger.singular} ${id}.`);
  const orNotFound = async <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (isNotFound(error)) throw notFound(id);
      throw error;
    }
  };
  /**
   * The saga `id` names, described, when `caller` may read it; a 404 when it does not exist or is not theirs to see,
   * so that the two cannot be told apart.
   */
  const readableSaga = async (
    caller: Caller,
    id: string,
  ): Promise<{ facts: SagaFacts; description: WorkflowExecutionDescription }> => {
    const workflowId = workflowIdOf(id);
    const description = await orNotFound(id, () =>
      withinDeadline(() => client.workflow.getHandle(workflowId).describe()),
    );
    const facts = { workflowId, searchAttributes: description.typedSearchAttributes };
    if (description.type !== workflowType || !access.read(caller, facts)) throw notFound(id);
    return { facts, description };
  };
  const forbidden = (action: string) => new HttpProblem(ProblemType.Forbidden, `You may not ${action}.`);
  const idOfWorkflow = (workflowId: string) => {
    const prefix = workflowIdOf('');
    return workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : workflowId;
  };

  router.post('/', authenticated, limitStarts, async (req: Request, res: Response) => {
    const caller = callerOfRoute(req);
    if (!req.is('application/json')) {
      throw new HttpProblem(ProblemType.UnsupportedMediaType, 'Send the body as application/json.');
    }
    const parsed = trigger.input.safeParse(req.body);
    if (!parsed.success) throw validationProblem(parsed.error);
    const rawKey = req.get('idempotency-key');
    const key = rawKey === undefined ? undefined : IdempotencyKeySchema.safeParse(rawKey);
    if (key && !key.success) throw validationProblem(key.error, 'Idempotency-Key header');
    const wait = z
      .enum(Object.keys(trigger.waitPoints ?? {}) as [string, ...string[]])
      .optional()
      .safeParse(req.query.wait);
    if (!wait.success) throw validationProblem(wait.error, 'wait parameter');

    const input = parsed.data;
    if (!access.start(caller, input)) throw forbidden(`start this ${trigger.singular}: it is not yours`);
    const id = key ? idForKey(trigger.resource, caller.subject, key.data) : randomUUID();
    const requestFingerprint = fingerprint(input);
    const options = {
      workflowId: workflowIdOf(id),
      taskQueue: trigger.taskQueue,
      args: trigger.args(input, id),
      memo: { requestId: requestIdOf(req), requestFingerprint },
      ...(trigger.summary ? { summary: trigger.summary(input, id) } : {}),
      ...(trigger.details ? { details: trigger.details(input, id) } : {}),
      ...(trigger.searchAttributes ? { searchAttributes: trigger.searchAttributes(input, id) } : {}),
      sagaSearchAttributes: trigger.sagaSearchAttributes ?? true,
    };
    const waitStep = wait.data ? trigger.waitPoints?.[wait.data] : undefined;
    const outcome = waitStep
      ? await startSagaAndWaitForStep(client, trigger.workflow, {
          ...options,
          step: waitStep,
          timeoutMs: deps.waitTimeoutMs,
        })
      : (await withinDeadline(() => startSaga(client, trigger.workflow, options)), { outcome: 'pending' as const });

    if (key) {
      // A repeat meets the first saga; it must be the same request, or the key was reused for another one.
      const { memo } = await withinDeadline(() => client.workflow.getHandle(options.workflowId).describe());
      if (memo?.requestFingerprint !== requestFingerprint) {
        throw new HttpProblem(
          ProblemType.IdempotencyKeyReused,
          `Idempotency-Key '${key.data}' was first used with a different request body.`,
        );
      }
    }
    logOf(req).info({ workflowId: options.workflowId, [idField]: id }, `${trigger.singular} saga started`);
    res.location(`/${trigger.resource}/${id}`);
    if (outcome.outcome === 'reached') {
      res.status(201).json(view(id, { stale: false, state: outcome.state }));
    } else if (outcome.outcome === 'failed') {
      throw new HttpProblem(
        ProblemType.SagaFailed,
        `The ${trigger.singular} failed: ${outcome.failure.message}`,
        { [idField]: id, failure: outcome.failure },
        trigger.failureStatus?.[outcome.failure.type],
      );
    } else {
      res.status(202).json({ [idField]: id, status: 'accepted', links: links(id) });
    }
  });

  const filters = Object.entries(trigger.filters ?? {});
  /**
   * The visibility query of the sagas `caller` may see that `values` (valid filter values) select; `undefined` when
   * the caller may see none.
   */
  const queryOf = (caller: Caller, values: Record<string, unknown>): string | undefined => {
    const scope = access.list(caller);
    if (scope.scope === 'none') return undefined;
    return [
      // The trigger's own sagas: its workflow type, on its task queue.
      `WorkflowType = '${workflowType}'`,
      `TaskQueue = '${trigger.taskQueue}'`,
      ...(scope.scope === 'some' ? [`(${scope.clause})`] : []),
      ...filters.flatMap(([name, filter]) => {
        const value = values[name];
        return typeof value === 'string' ? [`(${filter.clause(value)})`] : [];
      }),
    ].join(' AND ');
  };
  const filterSchemas = Object.fromEntries(filters.map(([name, filter]) => [name, filter.schema.optional()]));

  router.get('/', authenticated, limitReads, async (req: Request, res: Response) => {
    const query = z
      .strictObject({ pageSize: PageSizeSchema, cursor: CursorSchema.optional(), ...filterSchemas })
      .safeParse(req.query);
    if (!query.success) throw validationProblem(query.error, 'query');
    const visibilityQuery = queryOf(callerOfRoute(req), query.data);
    if (visibilityQuery === undefined) {
      res.json({ items: [] });
      return;
    }
    const page = await withinDeadline(() =>
      listSagas(client, {
        // Visibility lists newest first; SQL visibility stores refuse an explicit ORDER BY.
        query: visibilityQuery,
        pageSize: query.data.pageSize,
        cursor: query.data.cursor,
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof InvalidCursorError)) throw error;
      throw invalidFieldsProblem([{ path: 'cursor', code: 'invalid_cursor', message: error.message }], 'query');
    });
    res.json({
      items: page.sagas.map((saga) => {
        const id = idOfWorkflow(saga.workflowId);
        return { [idField]: id, ...saga, links: links(id) };
      }),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    });
  });

  router.get('/:id', authenticated, limitReads, async (req: Request, res: Response) => {
    const id = idOf(req);
    const { description } = await readableSaga(callerOfRoute(req), id);
    const read = await orNotFound(id, () =>
      withinDeadline(() =>
        readSagaState(client, workflowIdOf(id), { queryTimeoutMs: deps.stateQueryTimeoutMs, description }),
      ),
    );
    res.json(view(id, read));
  });

  router.post('/:id/cancel', authenticated, async (req: Request, res: Response) => {
    const caller = callerOfRoute(req);
    const id = idOf(req);
    const { facts } = await readableSaga(caller, id);
    if (!access.cancel(caller, facts)) throw forbidden(`cancel this ${trigger.singular}`);
    const body = CancelRequestSchema.safeParse(req.body ?? {});
    if (!body.success) throw validationProblem(body.error);
    const reason = body.data.reason ?? `Cancelled through the API (request ${requestIdOf(req)}).`;
    const outcome = await orNotFound(id, () => withinDeadline(() => cancelSaga(client, workflowIdOf(id), reason)));
    if (!outcome.accepted) throw new HttpProblem(ProblemType.CancelRejected, outcome.reason, { [idField]: id });
    logOf(req).info({ workflowId: workflowIdOf(id), reason }, `${trigger.singular} saga cancelling`);
    res.status(202).json({ [idField]: id, status: 'cancelling', links: links(id) });
  });

  router.get('/:id/history', authenticated, limitReads, async (req: Request, res: Response) => {
    const caller = callerOfRoute(req);
    const id = idOf(req);
    const query = HistoryQuerySchema.safeParse(req.query);
    if (!query.success) throw validationProblem(query.error, 'query');
    const { facts } = await readableSaga(caller, id);
    const shown = access.history(caller, facts);
    const diagnostics = query.data.diagnostics === 'true';
    if (diagnostics && shown !== 'events') {
      throw forbidden(`see the diagnostics of this ${trigger.singular}'s history`);
    }
    const events = shown === 'timeline' ? 'none' : diagnostics ? 'all' : 'without-diagnostics';
    const history = await orNotFound(id, () => withinDeadline(() => sagaHistory(client, workflowIdOf(id), { events })));
    res.json({ [idField]: id, ...history, links: links(id) });
  });

  router.post('/compensations/resolve', authenticated, async (req: Request, res: Response) => {
    const caller = callerOfRoute(req);
    const query = z.strictObject(filterSchemas).safeParse(req.query);
    if (!query.success) throw validationProblem(query.error, 'query');
    const body = ResolutionSchema.safeParse(req.body);
    if (!body.success) throw validationProblem(body.error);
    const visibilityQuery = queryOf(caller, query.data);
    const report = visibilityQuery
      ? await resolveCompensations(client, {
          query: visibilityQuery,
          resolution: body.data,
          timeoutMs: deps.temporalTimeoutMs,
          // Only the sagas this caller may resolve; the others are not theirs to hear of.
          allow: (saga) => access.read(caller, saga) && access.resolve(caller, saga),
        })
      : { resolved: [], refused: [], failed: [] };
    logOf(req).info(
      { query: visibilityQuery, resolution: body.data, resolved: report.resolved.length },
      'compensations resolved in bulk',
    );
    const named = <T extends { workflowId: string }>(entries: T[]) =>
      entries.map(({ workflowId, ...rest }) => ({ [idField]: idOfWorkflow(workflowId), ...rest }));
    res.json({ resolved: named(report.resolved), refused: named(report.refused), failed: named(report.failed) });
  });

  router.post('/:id/compensations/resolve', authenticated, async (req: Request, res: Response) => {
    const caller = callerOfRoute(req);
    const id = idOf(req);
    const { facts } = await readableSaga(caller, id);
    if (!access.resolve(caller, facts)) throw forbidden(`resolve this ${trigger.singular}'s compensations`);
    const body = ResolutionSchema.safeParse(req.body);
    if (!body.success) throw validationProblem(body.error);
    const outcome = await orNotFound(id, () =>
      withinDeadline(() => resolveCompensation(client, workflowIdOf(id), body.data)),
    );
    if (!outcome.accepted) throw new HttpProblem(ProblemType.ResolutionRejected, outcome.reason, { [idField]: id });
    logOf(req).info({ workflowId: workflowIdOf(id), resolution: body.data }, 'compensation resolved by an operator');
    res.status(202).json({ [idField]: id, resolution: outcome.resolution, links: links(id) });
  });

  // Self-contained in any express app: methods a route lacks are a 405, and every error leaves as problem+json.
  refuseUnlistedMethods(router);
  router.use(createProblemHandler(deps.logger));
  return router;
}
