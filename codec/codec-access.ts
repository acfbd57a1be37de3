/**
 * Who may have the codec server decode (or encode) payloads. Two checks, in this order:
 *
 * 1. **Origin (CORS).** A browser page may call only from an allowed origin (the Web UI's): a request that carries
 *    any other `Origin` is refused with 403 and gets no CORS headers, so the page cannot read an answer either.
 *    Requests without `Origin` (the `temporal` CLI, scripts) pass this check.
 * 2. **Token.** `Authorization: Bearer <token>`, compared as SHA-256 digests with `timingSafeEqual`, so that
 *    neither its content nor its length leaks through timing. Missing: 401; wrong: 403.
 *
 * The Temporal Web UI cannot send a configured token: it sends the signed-in user's own access token, and only
 * with `passAccessToken` over HTTPS behind its OIDC sign-in. So, in development only, a request from an allowed
 * origin over the loopback interface may come without a token: the Web UI of `npm start`, in a browser on the same
 * machine. A process on that machine could forge the `Origin`, but it can as well read the development key in
 * `DATA_DIR`; production never allows it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { CodecProblem, CodecProblemType } from './codec-problem';

export interface CodecAccess {
  /** The bearer token callers send. */
  token: string;
  /** Origins whose pages may call: the Web UI's, e.g. `http://localhost:8233`. */
  allowedOrigins: readonly string[];
  /** Let a request from an allowed origin over loopback come without a token (development only). @default false */
  allowLoopbackWithoutToken?: boolean;
}

/** Headers the Web UI and the CLI send: its JSON, the namespace, and a token. */
const allowedHeaders = 'Authorization, Authorization-Extras, Content-Type, X-Namespace';

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Whether the request's peer is this machine. */
function fromLoopback(req: Request): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** Step 1: refuses other origins; answers the browser's preflight for an allowed one. */
export function originCheck({ allowedOrigins }: Pick<CodecAccess, 'allowedOrigins'>): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined) return next();
    if (!allowedOrigins.includes(origin)) {
      throw new CodecProblem(CodecProblemType.OriginRefused, `Pages of ${origin} may not call this codec server.`);
    }
    res.vary('Origin');
    res.set('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': allowedHeaders,
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}

/** Step 2: the bearer token, or the development exemption for the local Web UI. */
export function tokenCheck({ token, allowedOrigins, allowLoopbackWithoutToken = false }: CodecAccess): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.get('authorization');
    if (header === undefined) {
      const origin = req.get('origin');
      const localWebUi = origin !== undefined && allowedOrigins.includes(origin) && fromLoopback(req);
      if (allowLoopbackWithoutToken && localWebUi) return next();
      throw new CodecProblem(CodecProblemType.Unauthorized, 'Send the token: Authorization: Bearer <token>.');
    }
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new CodecProblem(CodecProblemType.Forbidden, 'The token is not valid.');
    }
    next();
  };
}
