/**
 * The API while the Temporal server is down: it answers 503 with Retry-After at once instead of hanging, and
 * serves again by itself once the server is back. This test runs a Temporal server of its own, to stop it.
 */
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import type { HttpServer } from '../api/server';
import { listen } from '../api/server';
import type { DevServer } from '../workers/dev-server';
import { startDevServer } from '../workers/dev-server';
import { testDataConverter } from './env';
import { orderRequest } from './fixtures/orders';
import { eventually, postJson, request } from './http';
import { freePort } from './processes';
import { customerToken, testTokenSettings } from './tokens';

describe('the API while Temporal is down', () => {
  let server: DevServer | undefined;
  let http: HttpServer;
  let connection: Connection;
  let port: number;
  /** POSTs an order as its customer. */
  const placeOrder = async () => {
    const body = orderRequest();
    return postJson(`${http.url}/orders`, body, await customerToken(body.customerId));
  };
  beforeAll(async () => {
    port = await freePort();
    server = await startDevServer({ port });
    connection = await Connection.connect({ address: server.address });
    const app = createApp({
      client: new Client({ connection, dataConverter: await testDataConverter() }),
      tokens: testTokenSettings,
      logger: createLogger('silent'),
    });
    http = await listen(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await http?.close();
    await connection?.close();
    await server?.stop();
  });

  it('answers 503 with Retry-After within 5 s, and serves again once the server is back', async () => {
    expect((await placeOrder()).status).toBe(202);
    expect((await request(`${http.url}/readyz`)).status).toBe(200);

    await server!.stop();
    server = undefined;
    const body = orderRequest();
    const token = await customerToken(body.customerId);
    const began = Date.now();
    const response = await fetch(`${http.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const answeredInMs = Date.now() - began;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: 'urn:temporal-saga:problem:temporal-unavailable' });
    console.log(`POST /orders with Temporal down answered 503 in ${answeredInMs} ms`);
    expect(answeredInMs).toBeLessThan(5000); // the acceptance bound: an answer, not a hang
    expect((await request(`${http.url}/readyz`)).status).toBe(503);

    server = await startDevServer({ port });
    const back = await eventually(
      async () => {
        const again = await placeOrder();
        return again.status === 202 ? again : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(back.status).toBe(202);
    expect((await request(`${http.url}/readyz`)).status).toBe(200);
  }, 60_000);
});
