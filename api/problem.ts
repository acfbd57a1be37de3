/**
 * RFC 9457 problem details: the one place where an error becomes an HTTP status and an
 * `application/problem+json` body with a stable `type`. Nothing else in the API writes an error response, and no
 * stack trace ever leaves the process.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';

export const ProblemType = {
  ValidationError: 'validation-error',
  MalformedJson: 'malformed-json',
  PayloadTooLarge: 'payload-too-large',
  NotFound: 'not-found',
  InternalError: 'internal-error',
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

const problemCatalog: Record<ProblemType, { status: number; title: string }> = {
  [ProblemType.ValidationError]: { status: 400, title: 'The request is not valid' },
  [ProblemType.MalformedJson]: { status: 400, title: 'The request body is not valid JSON' },
  [ProblemType.PayloadTooLarge]: { status: 413, title: 'The request body is too large' },
  [ProblemType.NotFound]: { status: 404, title: 'Not found' },
  [ProblemType.InternalError]: { status: 500, title: 'Internal error' },
};

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
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = problemCatalog[type].status;
  }
}

/** A 400 listing every issue zod found. */
export function validationProblem(error: z.ZodError, what = 'request body'): HttpProblem {
  const issues: FieldIssue[] = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
  return new HttpProblem(ProblemType.ValidationError, `The ${what} has ${issues.length} invalid field(s).`, {
    issues,
  });
}

/** Answers any route that does not exist. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new HttpProblem(ProblemType.NotFound, `No route for ${req.method} ${req.path}.`);
};

/** Express's last error handler: every error, expected or not, leaves as problem+json. */
export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const problem = toProblem(error);
  if (problem.status >= 500) console.error(`${req.method} ${req.originalUrl} failed:`, error);
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

/** Errors raised by express's body parser carry a `type` string; everything unknown is a 500. */
function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const parserType = (error as { type?: unknown } | undefined)?.type;
  if (parserType === 'entity.parse.failed') {
    return new HttpProblem(ProblemType.MalformedJson, (error as Error).message);
  }
  if (parserType === 'entity.too.large') {
    return new HttpProblem(ProblemType.PayloadTooLarge, 'The request body exceeds the size limit.');
  }
  return new HttpProblem(ProblemType.InternalError, 'The server could not complete the request.');
}
