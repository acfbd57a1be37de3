/** The API's OpenAPI 3.1 document, generated from the zod schemas of every registered saga and route. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  bearerSecurityScheme,
  problemCatalog,
  ProblemSchema,
  ProblemType,
  registerSagaTriggerDocs,
} from './saga/express';
import type { AnySagaTrigger } from './saga/express';

export function createOpenApiDocument(sagas: readonly AnySagaTrigger[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', bearerSecurityScheme, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      "A customer's JWT (its `sub` is the customer id; `npm run token` makes one in development), an operator's " +
      "(with the operator role in its `roles` claim), or the deployment's OPERATOR_TOKEN. Signed with HS256 and " +
      'API_TOKEN_SECRET in development, by the identity provider whose keys are at API_JWKS_URL in production.',
  });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    tags: ['health'],
    summary: 'Liveness: the process serves',
    security: [],
    responses: {
      200: {
        description: 'Alive.',
        content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    tags: ['health'],
    summary: 'Readiness: the Temporal server answers',
    security: [],
    responses: {
      200: {
        description: 'Ready.',
        content: {
          'application/json': { schema: z.object({ status: z.literal('ready'), temporal: z.literal('reachable') }) },
        },
      },
      503: {
        description: problemCatalog[ProblemType.TemporalUnavailable].title,
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    },
  });
  for (const saga of sagas) registerSagaTriggerDocs(registry, saga);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'temporal-saga',
      version: '0.1.0',
      description:
        'Starts sagas and answers at once; every saga can be read, cancelled before its pivot, listed, and its ' +
        'history read. Errors are RFC 9457 application/problem+json with a stable `type`.',
    },
  });
}
