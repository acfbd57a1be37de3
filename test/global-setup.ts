/**
 * Once per test run: a payload key of its own, a fresh, in-memory Temporal dev server on free ports (unless
 * TEMPORAL_ADDRESS names one already running) and the workflow bundles (the order system's, the engine tests'
 * sagas), with the saga interceptor as a service worker has it, that every test file's workers load, instead of
 * bundling per test.
 * All reach the test files through environment variables, which jest's workers inherit.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import { startDevServer } from '../workers/dev-server';
import { sagaInterceptorModules } from '../workers/saga';
import { serviceWorkerLogger, workflowsPath } from '../workers/service-worker';
import { nexusServices } from '../workers/service-workers';
import { testEnv } from './env';

export default async function globalSetup(): Promise<void> {
  // Every process of the run (test files, the services they launch) encrypts payloads with one key of its own.
  process.env[testEnv.payloadKeys] = formatPayloadKey(generatePayloadKey(`test-${Date.now()}`));
  if (!process.env[testEnv.address]) {
    // With the namespaces the Nexus wiring's services run in (system.ts).
    const server = await startDevServer({ namespaces: [...nexusServices] });
    process.env[testEnv.address] = server.address;
    process.env[testEnv.namespace] = server.namespace;
    (globalThis as { devServer?: typeof server }).devServer = server;
  }
  const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-bundle-'));
  const bundles = [
    [testEnv.workflowBundle, workflowsPath],
    [testEnv.sagaBundle, require.resolve('./sagas/workflows')],
  ] as const;
  for (const [variable, entry] of bundles) {
    const bundle = await bundleWorkflowCode({
      workflowsPath: entry,
      workflowInterceptorModules: sagaInterceptorModules,
      logger: serviceWorkerLogger,
    });
    const bundlePath = path.join(bundleDir, `${variable.toLowerCase()}.js`);
    await writeFile(bundlePath, bundle.code);
    process.env[variable] = bundlePath;
  }
}
