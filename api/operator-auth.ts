/**
 * Operator routes (resolving an escalated compensation) need `Authorization: Bearer <OPERATOR_TOKEN>`: the scheme in
 * any case (`bearer`, `BEARER`; RFC 9110 makes schemes case-insensitive), the token exactly. Missing: 401; wrong:
 * 403. Tokens are compared as SHA-256 digests with `timingSafeEqual`, so neither their content nor their length
 * leaks through timing; the header is redacted from the logs. Without a configured token, operator routes refuse
 * everyone.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem, ProblemType } from './problem';

const digest = (token: string) => createHash('sha256').update(token).digest();

export function requireOperator(operatorToken: string | undefined): RequestHandler {
  const expected = operatorToken ? digest(operatorToken) : undefined;
  return (req, _res, next) => {
    const match = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match)
      throw new HttpProblem(ProblemType.Unauthorized, 'Send an operator token: Authorization: Bearer <token>.');
    if (!expected)
      throw new HttpProblem(ProblemType.Forbidden, 'Operator actions are disabled: no OPERATOR_TOKEN is configured.');
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpProblem(ProblemType.Forbidden, 'The operator token is not valid.');
    }
    next();
  };
}
