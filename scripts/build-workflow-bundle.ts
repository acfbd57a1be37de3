/**
 * The second half of `npm run build`: bundles the workflows once (webpack, through the SDK) into
 * `dist/workflow-bundle.js`, with the saga interceptor, which the compiled workers load instead of bundling at every
 * start.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { sagaInterceptorModules } from '../workers/saga';
import { workflowsPath } from '../workers/service-worker';

const bundlePath = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

async function main(): Promise<void> {
  const began = performance.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: sagaInterceptorModules,
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(bundlePath, code);
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`${path.relative(process.cwd(), bundlePath)}: ${(code.length / 1024).toFixed(0)} KiB in ${seconds} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
