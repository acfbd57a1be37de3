/** The HTTP API as an express app, built from its dependencies so that tests run the real thing. */
import type { Client } from '@temporalio/client';
import express from 'express';
import { createOrderRoutes } from './orders/routes';
import { notFoundHandler, problemHandler } from './problem';

export interface AppDeps {
  client: Client;
  /** Base URL of the Temporal Web UI, for links to each saga's page. @default no links */
  webUiUrl?: string | undefined;
}

/** Request bodies above this size are refused with 413. */
export const bodyLimit = '64kb';

export function createApp({ client, webUiUrl }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: bodyLimit }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/orders', createOrderRoutes({ client, webUiUrl }));
  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
