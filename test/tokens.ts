/**
 * Bearer tokens for the test systems' APIs: customers' JWTs signed with the test secret (what `npm run token`
 * makes in development), and the operator token.
 */
import type { TokenSettings } from '../api/access-tokens';
import { signToken } from '../api/access-tokens';
import { SignJWT } from 'jose';

/** The HMAC secret every test system's API verifies customer tokens with (`API_TOKEN_SECRET`). */
export const testTokenSecret = 'test-token-secret-0123456789abcdefghij';

/** The operator token of every test system's API (`OPERATOR_TOKEN`). */
export const testOperatorToken = 'test-operator-token-0123456789';

/** The token settings the test systems' APIs use: the configuration's defaults, with the test secret. */
export const testTokenSettings: TokenSettings = {
  keys: { kind: 'secret', secret: new TextEncoder().encode(testTokenSecret) },
  issuer: 'temporal-saga',
  audience: 'temporal-saga-api',
  operatorRole: 'operator',
};

/** A valid token of `customerId`, for 12 hours. */
export function customerToken(customerId: string): Promise<string> {
  return signToken(testTokenSettings, { subject: customerId });
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens an attacker might send for `customerId`, by name: each is refused with a 401, but `injecting`, which is
 * validly signed and whose subject tries to inject a visibility clause: it must own nothing.
 */
export async function hostileTokens(customerId: string): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: customerId, iss: testTokenSettings.issuer, aud: testTokenSettings.audience, exp: now + 600 };
  const signed = (secret: string, payload: Record<string, unknown>, alg = 'HS256') =>
    new SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
  return {
    malformed: 'not.a.jwt',
    truncated: (await customerToken(customerId)).split('.').slice(0, 2).join('.'),
    garbage: `${base64url({ alg: 'HS256' })}.%%%.${'x'.repeat(40)}`,
    expired: await signed(testTokenSecret, { ...claims, exp: now - 3600 }),
    notYetValid: await signed(testTokenSecret, { ...claims, nbf: now + 3600 }),
    otherKey: await signed('another-secret-of-at-least-32-characters!', { ...claims, roles: ['operator'] }),
    algNone: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, roles: ['operator'] })}.`,
    hs512: await signed(testTokenSecret, claims, 'HS512'),
    otherAudience: await signed(testTokenSecret, { ...claims, aud: 'another-api' }),
    otherIssuer: await signed(testTokenSecret, { ...claims, iss: 'someone-else' }),
    noExpiry: await signed(testTokenSecret, { ...claims, exp: undefined }),
    noSubject: await signed(testTokenSecret, { ...claims, sub: undefined }),
    huge: await signed(testTokenSecret, { ...claims, padding: 'x'.repeat(6000) }),
    injecting: await signed(testTokenSecret, { ...claims, sub: "x'OR'1'='1" }),
  };
}
