/**
 * The Temporal Web UI, in a real browser (Debian's chromium, driven by playwright-core): a compensated order
 * explains itself there (its summary, its status, its step table) and is found by its saga status; an order of
 * the Nexus wiring shows its calls to the other teams as Nexus operations under their steps' summaries. The
 * screenshots it saves are the README's and the docs'. Run by `npm run test:ui`; `npm test` needs no browser.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { createApp } from '../../api/app';
import { orderTrigger, orderWorkflowId } from '../../api/orders/trigger';
import { startSaga } from '../../api/saga';
import { createLogger } from '../../api/request-log';
import type { HttpServer } from '../../api/server';
import { listen } from '../../api/server';
import { loadPayloadEncryption } from '../../codec/data-converter';
import type { RunningCodecServer } from '../../codec/server';
import { startCodecServer } from '../../codec/server';
import type { Config } from '../../config';
import { loadConfig, nexusEndpointsOf } from '../../config';
import type { DevServer } from '../../workers/dev-server';
import { startDevServer } from '../../workers/dev-server';
import { serviceWorkerLogger } from '../../workers/service-worker';
import type { RunningServices } from '../../workers/service-workers';
import { nexusServices, startServices } from '../../workers/service-workers';
import { ensureNexusEndpoints } from '../../workers/nexus-endpoints';
import { readTestEnv } from '../env';
import { orderRequest, undeliverableAddress } from '../fixtures/orders';
import { orderReaches, placeOrder } from '../orders';
import { freePort } from '../processes';
import { nexusWiringEnv } from '../system';
import { testOperatorToken, testTokenSettings } from '../tokens';

const screenshots = path.resolve(__dirname, '../../docs/screenshots');

/** The flags this machine's closed network needs: no background fetches that would be refused. */
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Waits until some frame of the page (the UI renders markdown in iframes) shows every one of `texts`; returns the
 * text of every frame.
 */
async function waitForTexts(page: Page, texts: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const bodies = await Promise.all(
      page.frames().map((frame) =>
        frame
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => ''),
      ),
    );
    seen = bodies.join('\n');
    if (texts.every((text) => seen.includes(text))) return seen;
    await page.waitForTimeout(250);
  }
  throw new Error(`The page never showed ${JSON.stringify(texts)}; it showed:\n${seen.slice(0, 2000)}`);
}

/** Whether the saga's step table (a preformatted block in a markdown frame) fits its pane, with no sideways scroll. */
async function stepTableFits(page: Page): Promise<boolean> {
  for (const frame of page.frames()) {
    const table = frame.locator('pre', { hasText: 'tries' });
    if ((await table.count()) === 0) continue;
    return table
      .first()
      .evaluate((pre: { scrollWidth: number; clientWidth: number }) => pre.scrollWidth <= pre.clientWidth);
  }
  throw new Error('No frame of the page shows the step table.');
}

describe('the Temporal Web UI', () => {
  let server: DevServer;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let services: RunningServices;
  let http: HttpServer;
  let browser: Browser;
  let codecServer: RunningCodecServer;
  let dataDir: string;
  let api: string;
  let webUi: string;
  let uiPort: number;
  let configEnv: NodeJS.ProcessEnv;
  let config: Config;
  let dataConverter: DataConverter;
  let client: Client;

  beforeAll(async () => {
    Runtime.install({ logger: serviceWorkerLogger });
    uiPort = await freePort();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-ui-'));
    // As `npm start` runs them: the codec server first, then the Web UI pointed at it. It lets in pages of
    // http://localhost:<port> only, so that the same UI at 127.0.0.1 shows what a UI without it shows.
    configEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      CODEC_SERVER_PORT: String(await freePort()),
      CODEC_SERVER_ORIGINS: `http://localhost:${uiPort}`,
    };
    config = loadConfig(configEnv);
    const encryption = await loadPayloadEncryption(config);
    dataConverter = encryption.dataConverter;
    codecServer = await startCodecServer(config, encryption.codec);
    server = await startDevServer({ uiPort, codecEndpoint: codecServer.url, namespaces: [...nexusServices] });
    webUi = server.webUiUrl!;
    nativeConnection = await NativeConnection.connect({ address: server.address });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, dataConverter });
    services = await startServices(
      { connection: nativeConnection, namespace: 'default', client, config, dataConverter },
      { workflows: { workflowBundle: { codePath: readTestEnv().workflowBundlePath } } },
    );
    const app = createApp({
      client,
      webUiUrl: webUi,
      tokens: testTokenSettings,
      operatorToken: testOperatorToken,
      logger: createLogger('silent'),
    });
    http = await listen(app, { host: '127.0.0.1', port: 0 });
    api = http.url;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumFlags });
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await services?.shutdown();
    await connection?.close();
    await nativeConnection?.close();
    await server?.stop();
    await codecServer?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows a compensated order, and finds it by its saga status', async () => {
    const completed = await placeOrder(api, { customerId: 'ada' });
    const declined = await placeOrder(api, { customerId: 'grace', paymentToken: 'tok_declined' });
    const undeliverable = await placeOrder(api, { customerId: 'alan', shippingAddress: undeliverableAddress });
    await orderReaches(api, completed, ['completed']);
    await orderReaches(api, declined, ['cancelled']);
    const order = await orderReaches(api, undeliverable, ['cancelled']);
    const workflowId = orderWorkflowId(undeliverable);

    // The CLI's view of the same search attribute: exactly the compensated orders of the batch.
    const listed = execFileSync(
      server.cliPath!,
      ['workflow', 'list', '--address', server.address, '--query', 'SagaStatus="compensated"', '--output', 'json'],
      { encoding: 'utf8' },
    );
    const ids = (JSON.parse(listed) as { execution: { workflowId: string } }[]).map((row) => row.execution.workflowId);
    expect(ids.sort()).toEqual([orderWorkflowId(declined), workflowId].sort());

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const runId = (
      await connection.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId },
      })
    ).workflowExecutionInfo?.execution?.runId;

    // The workflow's failure says what happened, where the UI shows it: the closing event and the result pane.
    const failureMessage =
      'compensated after requestShipment failed: Undeliverable: No courier delivers to this address. ' +
      '(undone: chargePayment, createOrder, reserveStock)';
    await page.goto(`${webUi}/namespaces/default/workflows/${workflowId}/${runId}/history`);
    await waitForTexts(page, [`Order ${undeliverable}:`, 'Workflow Execution Failed', failureMessage]);
    await page.screenshot({ path: path.join(screenshots, 'saga-history.png'), fullPage: false });

    await page.goto(`${webUi}/namespaces/default/workflows/${workflowId}/${runId}/user-metadata`);
    await waitForTexts(page, [
      `Order ${undeliverable}:`,
      'Priced by the inventory when the stock is reserved.', // the static details, below the items' table
      `Saga ${order.saga.status} · started `, // the current details: the saga's status and start, then its steps
      'step             status                 tries    took  undo',
      '◆ requestShipment  failed: Undeliverable      1',
      'undone',
    ]);
    expect(await stepTableFits(page)).toBe(true);
    await page.screenshot({ path: path.join(screenshots, 'saga-user-metadata.png'), fullPage: true });

    await page.goto(`${webUi}/namespaces/default/workflows?query=${encodeURIComponent('SagaStatus="compensated"')}`);
    await waitForTexts(page, [workflowId, orderWorkflowId(declined)]);
    const listText = await page.locator('body').innerText();
    expect(listText).not.toContain(orderWorkflowId(completed));
    await page.screenshot({ path: path.join(screenshots, 'sagas-compensated.png'), fullPage: false });
    await page.close();
  }, 120_000);

  it("shows an order's input decoded through the codec server, and encrypted where the UI goes without it", async () => {
    const request = orderRequest({ customerId: 'ada-input' });
    const orderId = await placeOrder(api, request);
    await orderReaches(api, orderId, ['completed']);
    const customerData = [
      request.paymentToken,
      request.shippingAddress.name,
      request.shippingAddress.line1,
      request.shippingAddress.postalCode,
    ];
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const orderPage = (origin: string) => `${origin}/namespaces/default/workflows/${orderWorkflowId(orderId)}`;

    await page.goto(orderPage(webUi));
    await waitForTexts(page, customerData);

    // The same Web UI at an origin the codec server does not let in: it shows the payloads as Temporal stores them.
    await page.goto(orderPage(`http://127.0.0.1:${uiPort}`));
    const shown = await waitForTexts(page, ['Codec Server could not connect', 'Input', 'Result', 'placeOrder']);
    expect(customerData.filter((text) => shown.includes(text))).toEqual([]);
    await page.close();
  }, 120_000);

  it("shows an order of the Nexus wiring: each call to another team's service a Nexus operation, under its step's summary", async () => {
    const nexusConfig = loadConfig({ ...configEnv, ...nexusWiringEnv('ui') });
    await ensureNexusEndpoints(connection, nexusConfig.nexus!, nexusConfig.taskQueues);
    const otherTeams = await startServices(
      { connection: nativeConnection, namespace: 'default', client, config: nexusConfig, dataConverter },
      { workflows: { workflowBundle: { codePath: readTestEnv().workflowBundlePath } }, only: nexusServices },
    );
    try {
      const orders = orderTrigger(config.taskQueues, nexusEndpointsOf(nexusConfig.nexus));
      const orderId = randomUUID();
      const workflowId = orderWorkflowId(orderId);
      const request = orderRequest({ items: [{ sku: 'SKU-1', quantity: 2 }] });
      const saga = await startSaga(client, orders.workflow, {
        workflowId,
        taskQueue: orders.taskQueue,
        args: orders.args(request, orderId),
      });
      await orderReaches(api, orderId, ['completed']);
      const { runId } = await saga.describe();

      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${webUi}/namespaces/default/workflows/${workflowId}/${runId}/history`);
      const shown = await waitForTexts(page, [
        'Nexus Operation Scheduled',
        'Reserve 2 × SKU-1',
        'Ship to London, GB',
        'Commit 2 × SKU-1',
      ]);
      // The orders service's own steps stay activities.
      expect(shown).toContain('Activity Task Scheduled');
      await page.getByText('Reserve 2 × SKU-1').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(screenshots, 'saga-nexus-history.png'), fullPage: false });
      await page.close();
    } finally {
      await otherTeams.shutdown();
    }
  }, 120_000);
});
