/**
 * Rate limits per client on the routes that start sagas and on those that read them: each has its own budget of
 * requests a minute (a token bucket per client, see token-buckets.ts), so a client that reads hard can still start,
 * and the other way round. Every answer of a limited route says where the client stands, in the IETF draft's
 * headers (draft-ietf-httpapi-ratelimit-headers-06: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
 * and `RateLimit-Policy`); a request over the budget is a 429 `rate-limited` with `Retry-After`, and never reaches
 * the route. A caller counts as its token's subject; operators are not limited.
 */
import type { Request, RequestHandler, Response } from 'express';
import { callerOf, HttpProblem, ProblemType } from './saga/express';
import type { RateLimitGuards } from './saga/express';
import { TokenBuckets } from './token-buckets';

/** Requests a client may make a minute, per kind; 0 is no limit. */
export interface RateLimits {
  /** Requests that start a saga (`POST /<resource>`). */
  startsPerMinute: number;
  /** Reads of one saga, of its history, and lists. */
  readsPerMinute: number;
}

/**
 * The client a request counts against: its caller's subject, once authenticated (however many addresses it comes
 * from), else its address: the socket's peer unless express's `trust proxy` (`API_TRUST_PROXY`) names the proxies
 * in front.
 */
function clientKeyOf(req: Request): string {
  const caller = callerOf(req);
  if (caller) return `subject:${caller.subject}`;
  return addressKeyOf(req);
}

function addressKeyOf(req: Request): string {
  return `address:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

const windowSeconds = 60;

/**
 * Takes one request from `client`'s bucket, sets the rate-limit headers, and throws the 429 when the bucket is
 * empty; `undefined` when there is no limit.
 */
function bucketTaker(
  what: string,
  perMinute: number,
  maxClients: number | undefined,
): ((client: string, res: Response) => void) | undefined {
  if (perMinute === 0) return undefined;
  const buckets = new TokenBuckets({ limit: perMinute, windowMs: windowSeconds * 1000, maxClients });
  return (client, res) => {
    const decision = buckets.take(client);
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
  };
}

function limitRequests(what: string, perMinute: number, maxClients: number | undefined): RequestHandler {
  const take = bucketTaker(what, perMinute, maxClients);
  return (req, res, next) => {
    if (take && !callerOf(req)?.operator) take(clientKeyOf(req), res);
    next();
  };
}

export function createRateLimitGuards(
  limits: RateLimits,
  options: {
    /** Clients each budget remembers at once. @default 100000 */
    maxClients?: number;
  } = {},
): RateLimitGuards {
  return {
    starts: limitRequests('starts', limits.startsPerMinute, options.maxClients),
    reads: limitRequests('reads', limits.readsPerMinute, options.maxClients),
    refusedCredentials: limitRefusals(limits.readsPerMinute, options.maxClients),
  };
}

function limitRefusals(perMinute: number, maxClients: number | undefined): RateLimitGuards['refusedCredentials'] {
  const take = bucketTaker('requests without a valid token', perMinute, maxClients);
  return (req, res) => take?.(addressKeyOf(req), res);
}

/** No limits: what an app built without {@link RateLimits} has. */
export const noRateLimits: RateLimits = { startsPerMinute: 0, readsPerMinute: 0 };
