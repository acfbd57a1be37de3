/** Liveness and readiness: `/healthz` while the process serves, `/readyz` while Temporal answers too. */
import type { Client } from '@temporalio/client';
import { Router } from 'express';

export function createHealthRoutes(client: Client, timeoutMs: number): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // A failure (Temporal down or slow) becomes the 503 problem, with Retry-After.
    await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
    res.json({ status: 'ready', temporal: 'reachable' });
  });
  return router;
}
