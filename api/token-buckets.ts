/**
 * Token buckets, one per client, in memory. A client's bucket holds up to `limit` tokens and refills at `limit`
 * per window, continuously; each request takes one, and a request that finds less than one is refused. So a client
 * may send a burst of `limit` at once, then `limit` a window on average.
 *
 * Memory stays bounded: a bucket untouched for a whole window is full again and says nothing a new one would not,
 * so it is dropped; and past `maxClients` the least recently seen client is dropped (it starts over with a full
 * bucket). The map keeps its keys in the order they were last seen, so both drops take the oldest first.
 */

/** What one request may do, and what the rate-limit headers say about it. */
export interface BucketDecision {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until a refused client has a token again; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface TokenBucketOptions {
  /** Requests a client may make per window, and the size of its burst. */
  limit: number;
  /** @default 60000: a minute */
  windowMs?: number;
  /** Clients remembered at once. @default 100000 */
  maxClients?: number;
  /** Milliseconds from a monotonic clock. @default performance.now */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor({ limit, windowMs = 60_000, maxClients = 100_000, now = () => performance.now() }: TokenBucketOptions) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxClients = maxClients;
    this.now = now;
  }

  /** Clients remembered now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes a token from `client`'s bucket if it has one. */
  take(client: string): BucketDecision {
    const now = this.now();
    this.dropIdle(now);
    const bucket = this.buckets.get(client);
    const refill = (ms: number) => (ms * this.limit) / this.windowMs;
    const available = bucket ? Math.min(this.limit, bucket.tokens + refill(now - bucket.updatedAt)) : this.limit;
    const allowed = available >= 1;
    const tokens = allowed ? available - 1 : available;
    this.buckets.delete(client);
    this.buckets.set(client, { tokens, updatedAt: now });
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    const secondsUntil = (target: number) => Math.ceil(((target - tokens) * this.windowMs) / this.limit / 1000);
    return {
      allowed,
      limit: this.limit,
      remaining: Math.floor(tokens),
      resetSeconds: secondsUntil(this.limit),
      retryAfterSeconds: allowed ? 0 : Math.max(1, secondsUntil(1)),
    };
  }

  private dropIdle(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (now - bucket.updatedAt < this.windowMs) return;
      this.buckets.delete(client);
    }
  }
}
