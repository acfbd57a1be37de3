/**
 * The codec server's errors, each answered in one place as an RFC 9457 `application/problem+json` body with a
 * stable `type`. Like the API's, no stack trace and no payload ever leaves the process.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PayloadDecryptionError } from './encryption-codec';

export const CodecProblemType = {
  /** The body is not `{ payloads: [...] }` in the Temporal API's JSON. */
  InvalidPayloads: 'invalid-payloads',
  /** A payload does not decode: its key is unknown here, or it does not authenticate. */
  UndecodablePayload: 'undecodable-payload',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  /** A page of an origin that is not allowed called. */
  OriginRefused: 'origin-refused',
  /** The request names another namespace than the one this server decodes for. */
  OtherNamespace: 'other-namespace',
  NotFound: 'not-found',
  MethodNotAllowed: 'method-not-allowed',
  InternalError: 'internal-error',
} as const;
export type CodecProblemType = (typeof CodecProblemType)[keyof typeof CodecProblemType];

const catalog: Record<CodecProblemType, { status: number; title: string }> = {
  [CodecProblemType.InvalidPayloads]: { status: 400, title: 'The body is not a list of payloads' },
  [CodecProblemType.UndecodablePayload]: { status: 400, title: 'A payload cannot be decoded' },
  [CodecProblemType.Unauthorized]: { status: 401, title: 'A codec server token is required' },
  [CodecProblemType.Forbidden]: { status: 403, title: 'The codec server token is not valid' },
  [CodecProblemType.OriginRefused]: { status: 403, title: 'This origin may not call the codec server' },
  [CodecProblemType.OtherNamespace]: { status: 404, title: 'This codec server decodes another namespace' },
  [CodecProblemType.NotFound]: { status: 404, title: 'Not found' },
  [CodecProblemType.MethodNotAllowed]: { status: 405, title: 'Only POST is allowed' },
  [CodecProblemType.InternalError]: { status: 500, title: 'Internal error' },
};

/** An error the codec server answers as a problem; throw it from a handler. */
export class CodecProblem extends Error {
  override name = 'CodecProblem';
  constructor(
    readonly type: CodecProblemType,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Answers a path that is not `.../encode` or `.../decode`. */
export const codecNotFound: RequestHandler = (req) => {
  throw new CodecProblem(CodecProblemType.NotFound, `No route for ${req.method} ${req.path}: POST /encode or /decode.`);
};

/** The last error handler: every error leaves as problem+json. */
export const codecProblemHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const problem = toProblem(error);
  const { status, title } = catalog[problem.type];
  if (status >= 500) console.error('codec server: request failed:', error);
  if (problem.type === CodecProblemType.Unauthorized) res.set('WWW-Authenticate', 'Bearer realm="codec"');
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `urn:temporal-saga:codec:${problem.type}`,
      title,
      status,
      detail: problem.detail,
      instance: req.originalUrl,
    });
};

function toProblem(error: unknown): CodecProblem {
  if (error instanceof CodecProblem) return error;
  if (error instanceof PayloadDecryptionError)
    return new CodecProblem(CodecProblemType.UndecodablePayload, error.message);
  const parserType = (error as { type?: unknown } | undefined)?.type;
  if (typeof parserType === 'string' && parserType.startsWith('entity.')) {
    return new CodecProblem(CodecProblemType.InvalidPayloads, 'The body is not JSON of acceptable size.');
  }
  return new CodecProblem(CodecProblemType.InternalError, 'The codec server could not complete the request.');
}
