/**
 * The workflow interceptor modules a worker that runs sagas installs (workflows/saga/interceptors.ts): with them, an
 * activity a step calls through the SDK's own `proxyActivities` is scheduled as one called through `sagaActivities`
 * is, with the step's activity id, summary and retry policy. For `Worker.create({ workflowsPath, interceptors:
 * { workflowModules } })`, and for `bundleWorkflowCode({ workflowInterceptorModules })` when the worker runs a
 * prebuilt bundle (a worker ignores `workflowModules` then). Replays need them as well, to replay as the live
 * worker ran.
 */
export const sagaInterceptorModules: string[] = [require.resolve('../../workflows/saga/interceptors')];
