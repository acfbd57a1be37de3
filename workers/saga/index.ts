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
 * themselves; {@link startNeedsAttentionGauge} adds how many wait for an operator now.
 */
export { sagaInterceptorModules } from './interceptors';
export { startNeedsAttentionGauge } from './needs-attention';
export { registerSearchAttributes, SearchAttributeConflictError, sagaSearchAttributeKeys } from './search-attributes';
