/**
 * temporal-saga's worker side (`temporal-saga/worker`): what a worker that runs sagas adds to its options, and what
 * a namespace needs before sagas run in it.
 *
 * ```ts
 * await registerSearchAttributes(client.connection, 'default', [...sagaSearchAttributeKeys, TripIdKey]);
 * const worker = await Worker.create({
 *   connection, taskQueue: 'trips', workflowsPath: require.resolve('./workflows'), activities,
 *   interceptors: { workflowModules: sagaInterceptorModules },
 * });
 * ```
 *
 * Sagas count their starts and outcomes on the worker's metrics (`saga_started`, `saga_completed`, …) by
 * themselves; {@link startNeedsAttentionGauge} adds how many wait for an operator now. The SDK's stack traces
 * for the Web UI's Stack Trace tab cost a workflow thread a quarter to over half of its CPU:
 * {@link withoutWorkflowStackTraces} turns them off.
 */
export { sagaInterceptorModules } from './interceptors';
export { startNeedsAttentionGauge } from './needs-attention';
export { sagaStepOf } from './nexus';
export { withoutWorkflowStackTraces } from './stack-traces';
export { registerSearchAttributes, SearchAttributeConflictError, sagaSearchAttributeKeys } from './search-attributes';
