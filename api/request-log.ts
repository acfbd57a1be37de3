/**
 * Structured request logs (pino). Every request gets an id: the caller's `X-Request-Id` when it is a sane one,
 * else a new UUID. It is echoed in the response, carried by every log line of the request, and stored in the memo
 * of a saga the request starts, so that a log line leads to the saga and the saga back to its log lines.
 * Credentials never reach the logs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { prettyDestination } from './pretty-log';

/** The header a request id travels in, both ways. */
export const requestIdHeader = 'x-request-id';

/** A pino logger: JSON lines, or with `pretty` short lines for a terminal ({@link prettyDestination}). */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = {
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  return format === 'pretty' ? pino(options, prettyDestination()) : pino(options);
}

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const offered = req.headers[requestIdHeader];
      const id = typeof offered === 'string' && /^[\w.:-]{1,128}$/.test(offered) ? offered : randomUUID();
      res.setHeader(requestIdHeader, id);
      return id;
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { id: unknown; method: unknown; url: unknown; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: { 'idempotency-key': req.headers['idempotency-key'] },
      }),
      res: (res: { statusCode: unknown }) => ({ statusCode: res.statusCode }),
    },
  });
}
