/**
 * The baseline the decoupling benchmark measures against: the same four services as a synchronous chain, each an
 * express app that calls the next over HTTP and waits for its answer: orders → inventory → payments → shipping.
 * This is the temporal coupling the project removes: shipping's health shows in every caller's latency.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface SyncChainOptions {
  /** How long shipping takes to answer. @default 0 */
  shippingDelayMs?: number;
  /** Shipping is not running: its port refuses connections. @default false */
  shippingDown?: boolean;
}

export interface SyncChain {
  /** `POST <ordersUrl>/orders` places an order through the chain. */
  ordersUrl: string;
  stop: () => Promise<void>;
}

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

/** A service that does its part, then calls `next` and answers with what it said (502 if it failed). */
function chainedService(next: string | undefined, work: () => Promise<void> = async () => undefined) {
  const app = express();
  app.use(express.json());
  app.post('/orders', async (req, res) => {
    await work();
    if (!next) return void res.status(201).json({ ok: true });
    try {
      const answer = await fetch(`${next}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(req.body),
      });
      res.status(answer.ok ? 201 : 502).json(await answer.json());
    } catch {
      res.status(502).json({ error: 'the next service did not answer' });
    }
  });
  return app;
}

export async function startSyncChain({
  shippingDelayMs = 0,
  shippingDown = false,
}: SyncChainOptions): Promise<SyncChain> {
  const servers: Server[] = [];
  // Shipping down: a port that was bound and released, so that connections to it are refused.
  const shipping = await listen(
    chainedService(undefined, () => new Promise((resolve) => setTimeout(resolve, shippingDelayMs))),
  );
  if (shippingDown) await new Promise((resolve) => shipping.server.close(resolve));
  else servers.push(shipping.server);
  const payments = await listen(chainedService(shipping.url));
  const inventory = await listen(chainedService(payments.url));
  const orders = await listen(chainedService(inventory.url));
  servers.push(payments.server, inventory.server, orders.server);
  return {
    ordersUrl: orders.url,
    stop: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}
