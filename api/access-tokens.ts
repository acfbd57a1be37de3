/**
 * The API's bearer tokens: JWTs, verified with jose. A customer's token names them in `sub` (their customer id); an
 * operator's carries the operator role in its `roles` claim. Every token must be signed with the configured key,
 * by an accepted algorithm (never `none`), for this API (`aud`), by the configured issuer (`iss`), and must not
 * have expired (`exp` is required).
 *
 * In development the API signs and verifies with an HMAC secret (HS256): `API_TOKEN_SECRET`, or one it keeps in
 * `<dataDir>/api-token-secret`, with which `npm run token` makes tokens. In production an identity provider signs
 * them, and the API fetches its public keys from its JWKS URL (`API_JWKS_URL`), refreshing them when a token names
 * a key it has not seen.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT } from 'jose';
import { readOrCreateSecretFile } from '../codec/secret-file';
import type { Config } from '../config';
import { StartupError } from '../config/startup';
import type { Caller } from './saga/express';

/** What the API verifies tokens with, and what a token must say. */
export interface TokenSettings {
  keys: { kind: 'secret'; secret: Uint8Array } | { kind: 'jwks'; url: URL };
  issuer: string;
  audience: string;
  /** A caller whose `roles` claim holds this is an operator. */
  operatorRole: string;
}

/** A token the API refuses; its message says why, for the 401's detail. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** The identity provider's keys could not be fetched: not the caller's fault. */
export class TokenKeysUnavailableError extends Error {
  override name = 'TokenKeysUnavailableError';
}

/** Algorithms a provider's public keys may sign with; an HMAC secret signs with HS256 only. */
const asymmetricAlgorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Verifies a token's signature and claims: the caller it names, or an {@link InvalidTokenError}. */
export function createTokenVerifier(settings: TokenSettings): (token: string) => Promise<Caller> {
  const key: Uint8Array | JWTVerifyGetKey =
    settings.keys.kind === 'secret'
      ? settings.keys.secret
      : createRemoteJWKSet(settings.keys.url, { timeoutDuration: 2000, cooldownDuration: 30_000 });
  const algorithms = settings.keys.kind === 'secret' ? ['HS256'] : asymmetricAlgorithms;
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 30,
      });
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      if (typeof payload.sub !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(payload.sub)) {
        throw new InvalidTokenError('The token\'s "sub" claim must be 1 to 200 visible ASCII characters.');
      }
      return { subject: payload.sub, operator: roles.includes(settings.operatorRole) };
    } catch (error) {
      throw error instanceof InvalidTokenError ? error : tokenError(error);
    }
  };
}

function tokenError(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('The token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError(`The token's "${error.claim}" claim is not accepted: ${error.reason}.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidTokenError('The token is signed with an algorithm the API does not accept.');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new InvalidTokenError('The token is not signed with a key the API trusts.');
  }
  // Fetching the key set failed: timed out, no connection, or not a 200 with a key set, which jose says with its
  // generic error (code ERR_JOSE_GENERIC): nothing about a token raises that one.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    error.code === 'ERR_JOSE_GENERIC'
  ) {
    return new TokenKeysUnavailableError("The identity provider's keys could not be fetched.", { cause: error });
  }
  return new InvalidTokenError('The token is not a valid signed JWT.');
}

/** Where a development API keeps its token secret when none is configured. */
export function developmentTokenSecretFile(dataDir: string): string {
  return path.join(dataDir, 'api-token-secret');
}

/**
 * The token settings of `config`: its JWKS URL, its secret, or in development the secret kept under the data
 * folder (made on the first start, so that tokens outlive a restart). In production only a JWKS URL will do: fails
 * with a one-line {@link StartupError} without one.
 */
export async function loadTokenSettings(config: Config): Promise<{ settings: TokenSettings; source: string }> {
  const { jwksUrl, secret, issuer, audience, operatorRole } = config.api.tokens;
  const claims = { issuer, audience, operatorRole };
  if (jwksUrl) return { settings: { keys: { kind: 'jwks', url: new URL(jwksUrl) }, ...claims }, source: jwksUrl };
  if (config.production) {
    throw new StartupError(
      "Invalid configuration: API_JWKS_URL: required when NODE_ENV=production (the identity provider's JSON Web " +
        'Key Set, whose keys sign the API tokens)',
    );
  }
  if (secret) {
    return {
      settings: { keys: { kind: 'secret', secret: new TextEncoder().encode(secret) }, ...claims },
      source: 'API_TOKEN_SECRET',
    };
  }
  const file = developmentTokenSecretFile(config.dataDir);
  const { text } = await readOrCreateSecretFile(file, () => `${randomBytes(32).toString('base64url')}\n`);
  return {
    settings: { keys: { kind: 'secret', secret: new TextEncoder().encode(text.trim()) }, ...claims },
    source: file,
  };
}

/** A token signed with the HMAC secret of `settings`, for `subject`: what `npm run token` and the tests make. */
export async function signToken(
  settings: TokenSettings,
  { subject, operator = false, expiresIn = '12h' }: { subject: string; operator?: boolean; expiresIn?: string },
): Promise<string> {
  if (settings.keys.kind !== 'secret') {
    throw new Error('Tokens come from the identity provider here: the API verifies them with its JWKS URL.');
  }
  return new SignJWT({ roles: operator ? [settings.operatorRole] : [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(settings.keys.secret);
}
