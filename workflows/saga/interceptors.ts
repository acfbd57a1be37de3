/**
 * The saga's workflow interceptor: an activity a step calls through the SDK's own `proxyActivities` gets what one
 * called through `sagaActivities` gets, the step's activity id, summary, options and retry policy (the bounded
 * compensation retry among them), from the same {@link optionsInScope}. `sagaActivities` scopes its calls itself,
 * so that it works on a worker without this interceptor too; the interceptor leaves those calls as they are.
 *
 * Local activities (`proxyLocalActivities`) get the step's summary, options and retry policy, but not its activity
 * id: the SDK names a local activity by its sequence number, whatever its options say. A Nexus operation gets the
 * step's summary, a cancellation that waits for it, and the step's headers (nexus.ts). Outside a step, every
 * activity and operation is scheduled as the workflow asked.
 *
 * A worker installs it by module path: `interceptors: { workflowModules: sagaInterceptorModules }` with
 * `workflowsPath`, or `bundleWorkflowCode({ workflowInterceptorModules: sagaInterceptorModules })` for a bundle.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { localOptionsInScope, optionsInScope } from './activities';
import { nexusOperationInScope } from './nexus';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next({ ...input, options: optionsInScope(input.options, input.activityType) }),
      scheduleLocalActivity: (input, next) =>
        next({ ...input, options: localOptionsInScope(input.options, input.activityType) }),
      startNexusOperation: (input, next) => next(nexusOperationInScope(input)),
    },
  ],
});
