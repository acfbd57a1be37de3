/** What the global setup hands the test files, and how they read it. */
export const testEnv = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  workflowBundle: 'TEST_WORKFLOW_BUNDLE',
  sagaBundle: 'TEST_SAGA_BUNDLE',
} as const;

export interface TestEnv {
  address: string;
  namespace: string;
  /** The order system's workflows, bundled once per run. */
  workflowBundlePath: string;
  /** The engine's test sagas (test/sagas/workflows.ts), bundled once per run. */
  sagaBundlePath: string;
}

export function readTestEnv(): TestEnv {
  const address = process.env[testEnv.address];
  const workflowBundlePath = process.env[testEnv.workflowBundle];
  const sagaBundlePath = process.env[testEnv.sagaBundle];
  if (!address || !workflowBundlePath || !sagaBundlePath) {
    throw new Error('Run the tests through jest: the global setup was skipped.');
  }
  return { address, namespace: process.env[testEnv.namespace] ?? 'default', workflowBundlePath, sagaBundlePath };
}
