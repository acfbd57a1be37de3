/**
 * Who calls the API: every route but the health checks and the OpenAPI document needs `Authorization: Bearer
 * <token>`, the scheme in any case (`bearer`, `BEARER`; RFC 9110 makes schemes case-insensitive). The token is the
 * operator token (`OPERATOR_TOKEN`), compared as SHA-256 digests with `timingSafeEqual` so that neither its content
 * nor its length leaks through timing, or a JWT (access-tokens.ts): a customer's, or an operator's by role. Missing
 * or refused: 401 with `WWW-Authenticate`. The header never reaches the logs (request-log.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { InvalidTokenError, TokenKeysUnavailableError } from './access-tokens';
import { HttpProblem, ProblemType } from './saga/express';
import type { Caller } from './saga/express';

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Longer tokens are refused before any work on them: real ones are a few hundred characters. */
export const maxTokenLength = 4096;

/**
 * The caller the operator token stands for. Its subject has a space, which no token's subject may have, so that it
 * shares nothing keyed by subject (Idempotency-Keys) with any JWT's caller.
 */
export const operatorCaller: Caller = { subject: 'operator token', operator: true };

/** The bearer token of `Authorization`, or undefined when there is none (or another scheme). */
function bearerTokenOf(req: Request): string | undefined {
  return /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
}

export function createAuthenticator(options: {
  /** The operator token; unset: only a JWT with the operator role makes an operator. */
  operatorToken: string | undefined;
  /** Verifies a JWT: its caller, or an {@link InvalidTokenError}. */
  verifyToken: (token: string) => Promise<Caller>;
}): (req: Request) => Promise<Caller> {
  const operatorDigest = options.operatorToken ? digest(options.operatorToken) : undefined;
  return async (req) => {
    const token = bearerTokenOf(req);
    if (token === undefined) {
      throw new HttpProblem(ProblemType.Unauthorized, 'Send a bearer token: Authorization: Bearer <token>.');
    }
    if (token.length > maxTokenLength) {
      throw new HttpProblem(ProblemType.Unauthorized, `The token is longer than ${maxTokenLength} characters.`);
    }
    if (operatorDigest && timingSafeEqual(digest(token), operatorDigest)) return operatorCaller;
    try {
      return await options.verifyToken(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new HttpProblem(ProblemType.Unauthorized, error.message);
      if (error instanceof TokenKeysUnavailableError) {
        throw new HttpProblem(ProblemType.AuthenticationUnavailable, error.message);
      }
      throw error;
    }
  };
}
