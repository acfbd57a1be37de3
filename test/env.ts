/** What the global setup hands the test files, and how they read it. */
import type { DataConverter } from '@temporalio/common';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';

export const testEnv = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  workflowBundle: 'TEST_WORKFLOW_BUNDLE',
  sagaBundle: 'TEST_SAGA_BUNDLE',
  /** The run's own payload key, through the configuration as every process takes it. */
  payloadKeys: 'PAYLOAD_KEYS',
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

/** The project's data converter with the run's payload key: what a test's own clients and workers use. */
export async function testDataConverter(env: NodeJS.ProcessEnv = process.env): Promise<DataConverter> {
  return (await loadPayloadEncryption(loadConfig(env))).dataConverter;
}
