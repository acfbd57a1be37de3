/**
 * temporal-saga's HTTP trigger for express 5 (`temporal-saga/express`): one declaration per saga (its zod input,
 * workflow, task queue, business key and who may do what) yields its routes (start, list, state, cancel, history,
 * resolve escalations one by one and in bulk) and their OpenAPI entries. The router is self-contained: it parses
 * its own bodies, answers every error as `application/problem+json`, and logs through the logger it is given, so
 * it mounts in any express 5 app.
 *
 * ```ts
 * app.use(createSagaRouter(tripTrigger, { client, authenticate, waitTimeoutMs: 5_000, temporalTimeoutMs: 5_000 }));
 * ```
 */
export type { Caller, ListScope, SagaAccess, SagaFacts } from './access';
export { callerOf, operatorsOnly, ownedBy, setCallerOf } from './access';
export { refuseUnlistedMethods } from './method-not-allowed';
export { bearerSecurityScheme, registerSagaTriggerDocs } from './openapi';
export type { FieldIssue } from './problem';
export {
  createProblemHandler,
  HttpProblem,
  invalidFieldsProblem,
  notFoundHandler,
  problemCatalog,
  problemHandler,
  ProblemType,
  validationProblem,
} from './problem';
export { ProblemSchema } from './schemas';
export type { AnySagaTrigger, ListFilter, RateLimitGuards, SagaLogger, SagaRouteDeps, SagaTrigger } from './trigger';
export { createSagaRouter } from './trigger';
