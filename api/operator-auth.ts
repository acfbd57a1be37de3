/**
 * Operator routes (resolving an escalated compensation) need `Authorization: Bearer <OPERATOR_TOKEN>`: the scheme in
 * any case (`bearer`, `BEARER`; RFC 9110 makes schemes case-insensitive), the token exactly. Missing: 401; wrong:
 * 403. Tokens are compared as SHA-256 digests with `timingSafeEqual`, so neither their content nor their length
 * leaks through timing; the header is redacted from the logs. Without a configured token, operator routes refuse
 * everyone.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpProblem, ProblemType } from './problem';

const digest = (token: string) => createHash('sha256').update(token).digest();

/** What a request's `Authorization` says about its caller. */
type OperatorCredential = 'missing' | 'disabled' | 'wrong' | 'valid';

function operatorCredential(operatorToken: string | undefined): (req: Request) => OperatorCredential {
  const expected = operatorToken ? digest(operatorToken) : undefined;
  return (req) => {
    const match = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) return 'missing';
    if (!expected) return 'disabled';
    return timingSafeEqual(digest(match[1]!), expected) ? 'valid' : 'wrong';
  };
}

/** Whether a request carries the valid operator token: never, without one configured. */
export function isOperator(operatorToken: string | undefined): (req: Request) => boolean {
  const credential = operatorCredential(operatorToken);
  return (req) => credential(req) === 'valid';
}

export function requireOperator(operatorToken: string | undefined): RequestHandler {
  const credential = operatorCredential(operatorToken);
  return (req, _res, next) => {
    switch (credential(req)) {
      case 'missing':
        throw new HttpProblem(ProblemType.Unauthorized, 'Send an operator token: Authorization: Bearer <token>.');
      case 'disabled':
        throw new HttpProblem(ProblemType.Forbidden, 'Operator actions are disabled: no OPERATOR_TOKEN is configured.');
      case 'wrong':
        throw new HttpProblem(ProblemType.Forbidden, 'The operator token is not valid.');
      case 'valid':
        next();
    }
  };
}
