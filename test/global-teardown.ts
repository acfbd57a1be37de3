import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DevServer } from '../workers/dev-server';
import { testEnv } from './env';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { devServer?: DevServer }).devServer?.stop();
  const bundlePath = process.env[testEnv.workflowBundle];
  // Both bundles share one folder.
  if (bundlePath) await rm(path.dirname(bundlePath), { recursive: true, force: true });
}
