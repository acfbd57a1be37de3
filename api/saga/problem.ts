/**
 * RFC 9457 problem details: the one place where an error becomes an HTTP status and an
 * `application/problem+json` body with a stable `type`. Nothing else in the API writes an error response, and no
 * stack trace ever leaves the process.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isTemporalUnavailable } from './temporal-errors';

export const ProblemType = {
  ValidationError: 'validation-error',
  MalformedJson: 'malformed-json',
  UnsupportedMediaType: 'unsupported-media-type',
  PayloadTooLarge: 'payload-too-large',
  NotFound: 'not-found',
  /** The route exists, but not with this method; `Allow` lists its methods. */
  MethodNotAllowed: 'method-not-allowed',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  /** The saga refused to cancel: it has passed its pivot, or ended. */
  CancelRejected: 'cancel-rejected',
  /** An operator's resolution was refused: no compensation of that step is waiting. */
  ResolutionRejected: 'resolution-rejected',
  /** The saga failed before the step a request waited for; `failure` says why. Status per failure type. */
  SagaFailed: 'saga-failed',
  /** The same `Idempotency-Key` came with a different body. */
  IdempotencyKeyReused: 'idempotency-key-reused',
  /** The client spent its request budget; retry after `Retry-After` seconds. */
  RateLimited: 'rate-limited',
  /** The Temporal server did not answer in time; retry after `Retry-After` seconds. */
  TemporalUnavailable: 'temporal-unavailable',
  /** The identity provider's keys, which verify tokens, could not be fetched; retry after `Retry-After` seconds. */
  AuthenticationUnavailable: 'authentication-unavailable',
  InternalError: 'internal-error',
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

export const problemCatalog: Record<ProblemType, { status: number; title: string }> = {
  [ProblemType.ValidationError]: { status: 400, title: 'The request is not valid' },
  [ProblemType.MalformedJson]: { status: 400, title: 'The request body is not valid JSON' },
  [ProblemType.UnsupportedMediaType]: { status: 415, title: 'The request body must be application/json' },
  [ProblemType.PayloadTooLarge]: { status: 413, title: 'The request body is too large' },
  [ProblemType.NotFound]: { status: 404, title: 'Not found' },
  [ProblemType.MethodNotAllowed]: { status: 405, title: 'The route does not allow this method' },
  [ProblemType.Unauthorized]: { status: 401, title: 'A valid bearer token is required' },
  [ProblemType.Forbidden]: { status: 403, title: 'The caller may not do this' },
  [ProblemType.CancelRejected]: { status: 409, title: 'The saga can no longer be cancelled' },
  [ProblemType.ResolutionRejected]: { status: 409, title: 'The resolution was refused' },
  [ProblemType.SagaFailed]: { status: 409, title: 'The saga failed' },
  [ProblemType.IdempotencyKeyReused]: { status: 422, title: 'The Idempotency-Key was used for another request' },
  [ProblemType.RateLimited]: { status: 429, title: 'Too many requests' },
  [ProblemType.TemporalUnavailable]: { status: 503, title: 'The workflow service is unavailable' },
  [ProblemType.AuthenticationUnavailable]: { status: 503, title: 'Tokens cannot be verified now' },
  [ProblemType.InternalError]: { status: 500, title: 'Internal error' },
};

/** Seconds a client should wait before retrying a 503. */
export const retryAfterSeconds = 5;

/** The problem `type` URI: stable, so that clients can branch on it. */
export function problemTypeUri(type: ProblemType): string {
  return `urn:temporal-saga:problem:${type}`;
}

/** One field issue of a validation problem. */
export interface FieldIssue {
  /** JSON path of the field, e.g. `items.0.quantity`; empty for the body itself. */
  path: string;
  code: string;
  message: string;
}

/** An error that the API answers as a problem; throw it from a route. */
export class HttpProblem extends Error {
  readonly status: number;
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    /** Overrides the catalog's status, e.g. 402 for a declined payment. */
    status?: number,
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status ?? problemCatalog[type].status;
  }
}

/** A 400 listing every issue zod found. */
export function validationProblem(error: z.ZodError, what = 'request body'): HttpProblem {
  return invalidFieldsProblem(
    error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code, message: issue.message })),
    what,
  );
}

/** A 400 listing `issues` in `what` (`request body`, `query`, a header): the same problem as zod's. */
export function invalidFieldsProblem(issues: FieldIssue[], what: string): HttpProblem {
  return new HttpProblem(ProblemType.ValidationError, `The ${what} has ${issues.length} invalid field(s).`, {
    issues,
  });
}

/** Answers any route that does not exist. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new HttpProblem(ProblemType.NotFound, `No route for ${req.method} ${req.path}.`);
};

/** Express's last error handler: every error, expected or not, leaves as problem+json. */
export const problemHandler: ErrorRequestHandler = createProblemHandler();

/** Logs what went wrong on the server's side (a 5xx): pino's shape. */
interface ErrorLogger {
  error: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * The problem handler, logging each 5xx with the request's own logger (pino-http's `req.log`) when it has one, else
 * with `logger`.
 */
export function createProblemHandler(logger?: ErrorLogger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem = toProblem(error);
    const log = (req as { log?: ErrorLogger }).log ?? logger;
    if (problem.status >= 500) log?.error({ err: error }, 'request failed');
    if (problem.status === 503) res.set('Retry-After', String(retryAfterSeconds));
    if (problem.type === ProblemType.Unauthorized) res.set('WWW-Authenticate', 'Bearer realm="api"');
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: problemTypeUri(problem.type),
        title: problemCatalog[problem.type].title,
        status: problem.status,
        detail: problem.detail,
        instance: req.originalUrl,
        ...problem.extensions,
      });
  };
}

/** Errors raised by express's body parser carry a `type` string; everything unknown is a 500. */
function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (isTemporalUnavailable(error)) {
    return new HttpProblem(ProblemType.TemporalUnavailable, 'The workflow service did not answer in time.');
  }
  const parserType = (error as { type?: unknown } | undefined)?.type;
  if (parserType === 'entity.parse.failed') {
    return new HttpProblem(ProblemType.MalformedJson, 'The request body is not valid JSON.');
  }
  if (parserType === 'entity.too.large') {
    return new HttpProblem(ProblemType.PayloadTooLarge, 'The request body exceeds the size limit.');
  }
  if (parserType === 'charset.unsupported' || parserType === 'encoding.unsupported') {
    return new HttpProblem(ProblemType.UnsupportedMediaType, 'The request body must be UTF-8 JSON.');
  }
  return new HttpProblem(ProblemType.InternalError, 'The server could not complete the request.');
}
