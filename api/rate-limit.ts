/**
 * Rate limits per client on the routes that start sagas and on those that read them: each has its own budget of
 * requests a minute (a token bucket per client, see token-buckets.ts), so a client that reads hard can still start,
 * and the other way round. Every answer of a limited route says where the client stands, in the IETF draft's
 * headers (draft-ietf-httpapi-ratelimit-headers-06: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
 * and `RateLimit-Policy`); a request over the budget is a 429 `rate-limited` with `Retry-After`, and never reaches
 * the route. Requests with the valid operator token are not limited.
 */
import type { Request, RequestHandler } from 'express';
import { HttpProblem, ProblemType } from './problem';
import { TokenBuckets } from './token-buckets';

/** Requests a client may make a minute, per kind; 0 is no limit. */
export interface RateLimits {
  /** Requests that start a saga (`POST /<resource>`). */
  startsPerMinute: number;
  /** Reads of one saga, of its history, and lists. */
  readsPerMinute: number;
}

/** The guards of the limited routes: one budget per client for each kind, shared by every saga's routes. */
export interface RateLimitGuards {
  starts: RequestHandler;
  reads: RequestHandler;
}

/**
 * The client a request counts against: its address, which is the socket's peer unless express's `trust proxy`
 * (`API_TRUST_PROXY`) names the proxies in front. Once customers have tokens, a request with one counts against
 * the token's subject instead, here.
 */
export function clientKeyOf(req: Request): string {
  return `address:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

const windowSeconds = 60;

function limitRequests(
  what: string,
  perMinute: number,
  isExempt: (req: Request) => boolean,
  maxClients: number | undefined,
): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  const buckets = new TokenBuckets({ limit: perMinute, windowMs: windowSeconds * 1000, maxClients });
  return (req, res, next) => {
    if (isExempt(req)) return next();
    const decision = buckets.take(clientKeyOf(req));
    res.set({
      'RateLimit-Policy': `${decision.limit};w=${windowSeconds}`,
      'RateLimit-Limit': String(decision.limit),
      'RateLimit-Remaining': String(decision.remaining),
      'RateLimit-Reset': String(decision.resetSeconds),
    });
    if (!decision.allowed) {
      res.set('Retry-After', String(decision.retryAfterSeconds));
      throw new HttpProblem(
        ProblemType.RateLimited,
        `Too many ${what}: at most ${decision.limit} a minute per client. Retry after ${decision.retryAfterSeconds} s.`,
      );
    }
    next();
  };
}

export function createRateLimitGuards(
  limits: RateLimits,
  options: {
    /** Requests that are never limited: the operator's. */
    isExempt: (req: Request) => boolean;
    /** Clients each budget remembers at once. @default 100000 */
    maxClients?: number;
  },
): RateLimitGuards {
  return {
    starts: limitRequests('starts', limits.startsPerMinute, options.isExempt, options.maxClients),
    reads: limitRequests('reads', limits.readsPerMinute, options.isExempt, options.maxClients),
  };
}

/** No limits: what an app built without {@link RateLimits} has. */
export const noRateLimits: RateLimits = { startsPerMinute: 0, readsPerMinute: 0 };
