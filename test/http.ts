/** Small helpers for talking to the real API over HTTP, and for waiting on eventually-true outcomes. */

export interface JsonResponse {
  status: number;
  contentType: string;
  location: string | null;
  body: unknown;
}

/** A request's options: fetch's, and the bearer token to send (`Authorization: Bearer <token>`). */
export type ApiRequestInit = RequestInit & { token?: string | undefined };

export async function request(url: string, { token, ...init }: ApiRequestInit = {}): Promise<JsonResponse> {
  if (token !== undefined) {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    init.headers = headers;
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    location: response.headers.get('location'),
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

export function postJson(url: string, body: unknown, token?: string): Promise<JsonResponse> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    token,
  });
}

/** Calls `probe` until it returns a value, or throws the last reason after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
