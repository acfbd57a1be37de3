/** A saga trigger's routes, documented from the same declaration that builds them (OpenAPI 3.1, from zod). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Workflow } from '@temporalio/client';
import { z } from 'zod';
import { SagaStatus } from '../../workflows/saga';
import { problemCatalog, ProblemType } from './problem';
import {
  CancelRequestSchema,
  LinksSchema,
  ProblemSchema,
  PublishedSagaStateSchema,
  ResolutionSchema,
  SagaStateSchema,
  TimelineEntrySchema,
} from './schemas';
import type { SagaTrigger } from './trigger';
import { CursorSchema, describeTrigger, HistoryQuerySchema, IdempotencyKeySchema, PageSizeSchema } from './trigger';

/** The security scheme every saga route requires: a bearer token (see api/authentication.ts). */
export const bearerSecurityScheme = 'bearerToken';

/**
 * Problems every saga route may answer, whoever calls: no valid token, tokens that cannot be checked now, and too
 * many requests without a valid token from one address.
 */
const authenticationProblems = [
  ProblemType.Unauthorized,
  ProblemType.AuthenticationUnavailable,
  ProblemType.RateLimited,
] as const;

const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

const wholeNumber = { type: 'integer', minimum: 0 } as const;
/** The headers of a 429 (see api/rate-limit.ts); every answer of a limited route carries the `RateLimit-` ones. */
const rateLimitedHeaders = {
  'Retry-After': { description: 'Seconds until the client may send again.', schema: wholeNumber },
  'RateLimit-Limit': { description: "The client's budget: requests a minute.", schema: wholeNumber },
  'RateLimit-Remaining': { description: 'Requests left now.', schema: wholeNumber },
  'RateLimit-Reset': { description: 'Seconds until the whole budget is back.', schema: wholeNumber },
  'RateLimit-Policy': { description: 'The budget as `<limit>;w=60`.', schema: { type: 'string' } },
};

function problems(...types: ProblemType[]) {
  const byStatus = new Map<number, string[]>();
  for (const type of new Set(types)) {
    const { status, title } = problemCatalog[type];
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${type}\`: ${title}`]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, titles]) => [
      status,
      {
        description: titles.join('; '),
        ...(status === problemCatalog[ProblemType.RateLimited].status ? { headers: rateLimitedHeaders } : {}),
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
}

export function registerSagaTriggerDocs<Input extends z.ZodType, W extends Workflow>(
  registry: OpenAPIRegistry,
  trigger: SagaTrigger<Input, W>,
): void {
  const { idField } = describeTrigger(trigger);
  const name = pascal(trigger.singular);
  const tags = [trigger.resource];
  const base = `/${trigger.resource}`;
  const Id = z.uuid().describe(`The ${trigger.singular}'s id.`);
  const idParams = z.object({ id: Id });
  const statusValues = trigger.status?.values ?? (Object.values(SagaStatus) as [string, ...string[]]);
  // Schemas with a `.meta` id become named components (zod-to-openapi reads zod 4's metadata).
  const Request = trigger.input.meta({ id: `${name}Request` });
  const Status = z.enum(statusValues);
  const Current = z
    .object({
      [idField]: Id,
      status: Status,
      stale: z.literal(false).describe("Read from the saga's own state: exact."),
      saga: SagaStateSchema,
      links: LinksSchema,
    })
    .meta({ id: name });
  const Stale = z
    .object({
      [idField]: Id,
      status: Status.describe('From the status and current step the saga published.'),
      stale: z.literal(true).describe("The saga's worker did not answer in time: what it published, possibly behind."),
      saga: PublishedSagaStateSchema,
      links: LinksSchema,
    })
    .meta({ id: `Stale${name}` });
  const Accepted = z.object({ [idField]: Id, status: z.literal('accepted'), links: LinksSchema });
  const waitPoints = Object.keys(trigger.waitPoints ?? {});
  /** The list filters, as query parameters. */
  const filterParameters = Object.fromEntries(
    Object.entries(trigger.filters ?? {}).map(([filter, { schema, description }]) => [
      filter,
      schema.optional().describe(description),
    ]),
  );
  const failureStatuses = [...new Set(Object.values(trigger.failureStatus ?? {}))].filter((status) => status !== 409);

  registry.registerPath({
    method: 'post',
    path: base,
    tags,
    summary: `Start a ${trigger.singular} saga`,
    security: [{ [bearerSecurityScheme]: [] }],
    description:
      `Validates the request and starts the saga; answers 202 at once. Who may start which ${trigger.singular} is ` +
      `the saga's access policy (403 otherwise). With \`Idempotency-Key\`, repeats (even concurrent ones) by the ` +
      `same caller return the same ${trigger.singular} and start nothing new.` +
      (waitPoints.length
        ? ` With \`?wait=<point>\` the request waits, for a bounded time, until that step succeeds: 201 with the ` +
          `saga's state, a problem if the saga fails first, or 202 if the step takes longer.`
        : ''),
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKeySchema.optional() }),
      ...(waitPoints.length
        ? { query: z.object({ wait: z.enum(waitPoints as [string, ...string[]]).optional() }) }
        : {}),
      body: { required: true, content: { 'application/json': { schema: Request } } },
    },
    responses: {
      202: { description: 'Started; the saga runs on.', content: { 'application/json': { schema: Accepted } } },
      ...(waitPoints.length
        ? { 201: { description: 'The awaited step succeeded.', content: { 'application/json': { schema: Current } } } }
        : {}),
      ...problems(
        ProblemType.ValidationError,
        ProblemType.PayloadTooLarge,
        ProblemType.UnsupportedMediaType,
        ProblemType.IdempotencyKeyReused,
        ...authenticationProblems,
        ProblemType.Forbidden,
        ProblemType.RateLimited,
        ProblemType.TemporalUnavailable,
        ...(waitPoints.length ? [ProblemType.SagaFailed] : []),
      ),
      ...Object.fromEntries(
        failureStatuses.map((status) => [
          status,
          {
            description: `\`saga-failed\`, for ${Object.entries(trigger.failureStatus ?? {})
              .filter(([, code]) => code === status)
              .map(([type]) => type)
              .join(', ')}`,
            content: { 'application/problem+json': { schema: ProblemSchema } },
          },
        ]),
      ),
    },
  });

  registry.registerPath({
    method: 'get',
    path: base,
    tags,
    summary: `List ${trigger.resource}, newest first`,
    security: [{ [bearerSecurityScheme]: [] }],
    description:
      'Through Temporal visibility; pass `nextCursor` back as `cursor` for the next page. Only the ' +
      `${trigger.resource} the caller may see (a customer's own; every one for an operator).`,
    request: {
      query: z.object({
        pageSize: PageSizeSchema.optional(),
        cursor: CursorSchema.optional(),
        ...filterParameters,
      }),
    },
    responses: {
      200: {
        description: 'One page.',
        content: {
          'application/json': {
            schema: z.object({
              items: z.array(
                z.object({
                  [idField]: z.string(),
                  workflowId: z.string(),
                  executionStatus: z.string(),
                  startedAt: z.string().optional(),
                  closedAt: z.string().optional(),
                  searchAttributes: z.record(z.string(), z.unknown()),
                  links: LinksSchema,
                }),
              ),
              nextCursor: z.string().optional(),
            }),
          },
        },
      },
      ...problems(
        ProblemType.ValidationError,
        ...authenticationProblems,
        ProblemType.RateLimited,
        ProblemType.TemporalUnavailable,
      ),
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${base}/{id}`,
    tags,
    summary: `Read a ${trigger.singular} and its saga's state`,
    security: [{ [bearerSecurityScheme]: [] }],
    description:
      `Answers with or without workers: a finished ${trigger.singular} from the final state its saga keeps, a ` +
      `running one from its saga's answer; when the saga's worker does not answer in time, from what the saga ` +
      'published (its status and current step), with `stale: true`. One the caller may not see is a 404, as if ' +
      'it did not exist.',
    request: { params: idParams },
    responses: {
      200: {
        description: `The ${trigger.singular}: exact (\`stale: false\`), or possibly behind (\`stale: true\`).`,
        content: { 'application/json': { schema: z.union([Current, Stale]) } },
      },
      ...problems(
        ...authenticationProblems,
        ProblemType.NotFound,
        ProblemType.RateLimited,
        ProblemType.TemporalUnavailable,
      ),
    },
  });

  registry.registerPath({
    method: 'post',
    path: `${base}/{id}/cancel`,
    tags,
    summary: `Cancel a ${trigger.singular}`,
    security: [{ [bearerSecurityScheme]: [] }],
    description:
      'Accepted before the saga passes its pivot (it then compensates); refused after, with the reason. By ' +
      `whoever may cancel the ${trigger.singular} (its customer, an operator).`,
    request: {
      params: idParams,
      body: { required: false, content: { 'application/json': { schema: CancelRequestSchema } } },
    },
    responses: {
      202: {
        description: 'Cancelling: the saga compensates.',
        content: {
          'application/json': {
            schema: z.object({ [idField]: Id, status: z.literal('cancelling'), links: LinksSchema }),
          },
        },
      },
      ...problems(
        ProblemType.ValidationError,
        ...authenticationProblems,
        ProblemType.Forbidden,
        ProblemType.NotFound,
        ProblemType.CancelRejected,
        ProblemType.TemporalUnavailable,
      ),
    },
  });

  registry.registerPath({
    method: 'get',
    path: `${base}/{id}/history`,
    tags,
    summary: `The ${trigger.singular}'s saga history`,
    security: [{ [bearerSecurityScheme]: [] }],
    description:
      'A timeline of its steps and compensations, derived from the event history; for operators also the raw ' +
      "events, without the failures' stack traces and the workers' identities unless `diagnostics=true`.",
    request: { params: idParams, query: HistoryQuerySchema },
    responses: {
      200: {
        description: 'The history.',
        content: {
          'application/json': {
            schema: z.object({
              [idField]: Id,
              timeline: z.array(TimelineEntrySchema),
              events: z
                .array(z.unknown())
                .optional()
                .describe("The raw event history, as Temporal's API JSON: for operators only."),
              links: LinksSchema,
            }),
          },
        },
      },
      ...problems(
        ProblemType.ValidationError,
        ...authenticationProblems,
        ProblemType.Forbidden,
        ProblemType.NotFound,
        ProblemType.RateLimited,
        ProblemType.TemporalUnavailable,
      ),
    },
  });

  const Named = (extra: Record<string, z.ZodType>) => z.array(z.object({ [idField]: z.string(), ...extra }));
  registry.registerPath({
    method: 'post',
    path: `${base}/compensations/resolve`,
    tags,
    summary: 'Resolve the escalated compensations of many sagas at once (operators)',
    description:
      `Every ${trigger.singular} in \`needs_attention\` that the filters select and the caller may resolve gets the ` +
      'same resolution; the answer reports which accepted, which refused (with the reason) and which could not be ' +
      'reached. Visibility lags a little: a saga that escalated a moment ago may not be found yet.',
    security: [{ [bearerSecurityScheme]: [] }],
    request: {
      query: z.object(filterParameters),
      body: { required: true, content: { 'application/json': { schema: ResolutionSchema } } },
    },
    responses: {
      200: {
        description: 'The report.',
        content: {
          'application/json': {
            schema: z.object({
              resolved: Named({ resolution: ResolutionSchema }),
              refused: Named({ reason: z.string() }),
              failed: Named({ error: z.string() }),
            }),
          },
        },
      },
      ...problems(ProblemType.ValidationError, ...authenticationProblems, ProblemType.TemporalUnavailable),
    },
  });

  registry.registerPath({
    method: 'post',
    path: `${base}/{id}/compensations/resolve`,
    tags,
    summary: 'Resolve an escalated compensation (operators)',
    description: 'For a saga in `needs_attention`: retry, skip or abort the failed compensation.',
    security: [{ [bearerSecurityScheme]: [] }],
    request: {
      params: idParams,
      body: { required: true, content: { 'application/json': { schema: ResolutionSchema } } },
    },
    responses: {
      202: {
        description: 'Accepted; the saga acts on it.',
        content: {
          'application/json': { schema: z.object({ [idField]: Id, resolution: ResolutionSchema, links: LinksSchema }) },
        },
      },
      ...problems(
        ProblemType.ValidationError,
        ...authenticationProblems,
        ProblemType.Forbidden,
        ProblemType.NotFound,
        ProblemType.ResolutionRejected,
        ProblemType.TemporalUnavailable,
      ),
    },
  });
}
