/**
 * The API's bearer tokens, without a server: JWTs signed and verified with an HMAC secret (whose caller they name,
 * and each hostile token refused with the reason), then the authenticator in front of every route: which header it
 * reads, the operator token, the length cap that spares the verifier, and a 503 when the keys cannot be fetched.
 */
import type { Request } from 'express';
import type { TokenSettings } from '../../api/access-tokens';
import { createTokenVerifier, InvalidTokenError, signToken, TokenKeysUnavailableError } from '../../api/access-tokens';
import { createAuthenticator, maxTokenLength, operatorCaller } from '../../api/authentication';
import type { Caller } from '../../api/saga/access';
import { HttpProblem, ProblemType } from '../../api/saga/problem';
import { customerToken, hostileTokens, testOperatorToken, testTokenSettings } from '../tokens';

const verify = createTokenVerifier(testTokenSettings);

/** What `attempt` was refused with; fails the test if it was not refused. */
async function refusalOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('tokens signed with an HMAC secret', () => {
  it("name a customer's caller", async () => {
    await expect(verify(await customerToken('customer-1'))).resolves.toEqual({
      subject: 'customer-1',
      operator: false,
    });
  });

  it('make an operator of a token with the operator role', async () => {
    const token = await signToken(testTokenSettings, { subject: 'ops@example.com', operator: true });
    await expect(verify(token)).resolves.toEqual({ subject: 'ops@example.com', operator: true });
  });

  it('make no operator of a role other than the configured one', async () => {
    const admin = await signToken({ ...testTokenSettings, operatorRole: 'admin' }, { subject: 'ops', operator: true });
    await expect(verify(admin)).resolves.toEqual({ subject: 'ops', operator: false });
  });

  it.each([
    ['a space, like the operator token', 'operator token'],
    ['201 characters', 'c'.repeat(201)],
    ['a character outside visible ASCII', 'cüstomer'],
  ])('are refused when the subject has %s', async (_problem, subject) => {
    const error = await refusalOf(verify(await signToken(testTokenSettings, { subject })));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toHaveProperty('message', 'The token\'s "sub" claim must be 1 to 200 visible ASCII characters.');
  });

  it('are made only with a secret: with a JWKS URL the identity provider makes them', async () => {
    const jwks: TokenSettings = {
      ...testTokenSettings,
      keys: { kind: 'jwks', url: new URL('https://idp.example/jwks') },
    };
    await expect(signToken(jwks, { subject: 'customer-1' })).rejects.toThrow(
      'Tokens come from the identity provider here: the API verifies them with its JWKS URL.',
    );
  });
});

describe('hostile tokens', () => {
  const notValid = 'The token is not a valid signed JWT.';
  const untrustedKey = 'The token is not signed with a key the API trusts.';
  const algorithm = 'The token is signed with an algorithm the API does not accept.';
  const claim = (name: string, reason: string) => `The token's "${name}" claim is not accepted: ${reason}.`;
  // `huge` is validly signed: the authenticator refuses it for its length, before the verifier (below).
  const refusals: Record<string, string> = {
    malformed: notValid,
    truncated: notValid,
    garbage: untrustedKey,
    expired: 'The token has expired.',
    notYetValid: claim('nbf', 'check_failed'),
    otherKey: untrustedKey,
    algNone: algorithm,
    hs512: algorithm,
    otherAudience: claim('aud', 'check_failed'),
    otherIssuer: claim('iss', 'check_failed'),
    noExpiry: claim('exp', 'missing'),
    noSubject: claim('sub', 'missing'),
  };
  let tokens: Record<string, string>;
  beforeAll(async () => {
    tokens = await hostileTokens('customer-1');
  });

  it('are all judged here, none forgotten', () => {
    expect(Object.keys(tokens).sort()).toEqual([...Object.keys(refusals), 'huge', 'injecting'].sort());
  });

  it.each(Object.entries(refusals))('refuses %s, saying why', async (name, message) => {
    const error = await refusalOf(verify(tokens[name]!));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toHaveProperty('message', message);
  });

  it('verifies `injecting`, a valid token whose subject is a visibility clause: access refuses that subject', async () => {
    await expect(verify(tokens.injecting!)).resolves.toEqual({ subject: "x'OR'1'='1", operator: false });
  });
});

/** A request as the authenticator reads it: only its headers, by case-insensitive name. */
function requestWith(authorization?: string): Request {
  const headers: Record<string, string | undefined> = { authorization };
  return { get: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

const neverCalled = async (): Promise<Caller> => {
  throw new Error('the verifier must not be called');
};

describe('the authenticator', () => {
  const authenticate = createAuthenticator({ operatorToken: testOperatorToken, verifyToken: verify });

  async function problemOf(attempt: Promise<unknown>): Promise<HttpProblem> {
    const error = await refusalOf(attempt);
    expect(error).toBeInstanceOf(HttpProblem);
    return error as HttpProblem;
  }

  it.each([
    ['no Authorization header', undefined],
    ['another scheme', `Basic ${Buffer.from('customer-1:secret').toString('base64')}`],
    ['a scheme without a token', 'Bearer '],
    ['two tokens', 'Bearer one two'],
  ])('answers 401 to %s, saying what to send', async (_case, authorization) => {
    const authenticateAlone = createAuthenticator({ operatorToken: testOperatorToken, verifyToken: neverCalled });
    expect(await problemOf(authenticateAlone(requestWith(authorization)))).toMatchObject({
      type: ProblemType.Unauthorized,
      status: 401,
      detail: 'Send a bearer token: Authorization: Bearer <token>.',
    });
  });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('reads the scheme %s in any case', async (scheme) => {
    const token = await customerToken('customer-1');
    await expect(authenticate(requestWith(`${scheme} ${token}`))).resolves.toEqual({
      subject: 'customer-1',
      operator: false,
    });
  });

  it('makes the operator token its operator caller, whose subject no token can have', async () => {
    await expect(authenticate(requestWith(`Bearer ${testOperatorToken}`))).resolves.toBe(operatorCaller);
    expect(operatorCaller).toEqual({ subject: 'operator token', operator: true });
  });

  it('takes the operator token for a JWT when none is configured, and refuses it', async () => {
    const withoutOperatorToken = createAuthenticator({ operatorToken: undefined, verifyToken: verify });
    expect(await problemOf(withoutOperatorToken(requestWith(`Bearer ${testOperatorToken}`)))).toMatchObject({
      type: ProblemType.Unauthorized,
      status: 401,
      detail: 'The token is not a valid signed JWT.',
    });
  });

  it("answers 401 to a wrong token, with the verifier's reason", async () => {
    const { expired } = await hostileTokens('customer-1');
    expect(await problemOf(authenticate(requestWith(`Bearer ${expired}`)))).toMatchObject({
      type: ProblemType.Unauthorized,
      status: 401,
      detail: 'The token has expired.',
    });
  });

  it(`answers 401 to a token longer than ${maxTokenLength} characters without verifying it`, async () => {
    const { huge } = await hostileTokens('customer-1');
    const authenticateAlone = createAuthenticator({ operatorToken: testOperatorToken, verifyToken: neverCalled });
    for (const token of [huge!, 'x'.repeat(maxTokenLength + 1)]) {
      expect(await problemOf(authenticateAlone(requestWith(`Bearer ${token}`)))).toMatchObject({
        type: ProblemType.Unauthorized,
        status: 401,
        detail: `The token is longer than ${maxTokenLength} characters.`,
      });
    }
  });

  it(`verifies a token of exactly ${maxTokenLength} characters`, async () => {
    const verified: string[] = [];
    const recording = async (token: string): Promise<Caller> => {
      verified.push(token);
      return { subject: 'customer-1', operator: false };
    };
    const token = 'x'.repeat(maxTokenLength);
    await createAuthenticator({ operatorToken: testOperatorToken, verifyToken: recording })(
      requestWith(`Bearer ${token}`),
    );
    expect(verified).toEqual([token]);
  });

  it("answers 503 authentication-unavailable when the identity provider's keys cannot be fetched", async () => {
    const unavailable = async (): Promise<Caller> => {
      throw new TokenKeysUnavailableError("The identity provider's keys could not be fetched.");
    };
    const authenticateWithoutKeys = createAuthenticator({ operatorToken: undefined, verifyToken: unavailable });
    const problem = await problemOf(authenticateWithoutKeys(requestWith(`Bearer ${await customerToken('c-1')}`)));
    expect(problem).toMatchObject({
      type: ProblemType.AuthenticationUnavailable,
      status: 503,
      detail: "The identity provider's keys could not be fetched.",
    });
  });

  it('lets any other error of the verifier through as it is: a fault, not the caller', async () => {
    const fault = new TypeError('verifier bug');
    const broken = async (): Promise<Caller> => {
      throw fault;
    };
    const error = await refusalOf(
      createAuthenticator({ operatorToken: undefined, verifyToken: broken })(requestWith('Bearer t')),
    );
    expect(error).toBe(fault);
  });
});
