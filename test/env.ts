/** What the global setup hands the test files, and how they read it. */
export const testEnv = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  workflowBundle: 'TEST_WORKFLOW_BUNDLE',
} as const;

export function readTestEnv(): { address: string; namespace: string; workflowBundlePath: string } {
  const address = process.env[testEnv.address];
  const workflowBundlePath = process.env[testEnv.workflowBundle];
  if (!address || !workflowBundlePath) throw new Error('Run the tests through jest: the global setup was skipped.');
  return { address, namespace: process.env[testEnv.namespace] ?? 'default', workflowBundlePath };
}
