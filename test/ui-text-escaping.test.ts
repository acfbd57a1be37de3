/**
 * Text a customer typed reaches the Web UI, which renders it as markdown (HTML included), only escaped: in the
 * order's summary and details, its activities' summaries, the engine's current details and the final table in its
 * memo. Names and street addresses reach none of them.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { orderWorkflowId } from '../api/orders/trigger';
import { escapeMarkdown, sagaTableMemoKey } from '../workflows/saga';
import { undeliverableAddress } from './fixtures/orders';
import { activityEvents, historyOf } from './history';
import { eventually, postJson, request } from './http';
import { orderReaches, placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken } from './tokens';

describe('escapeMarkdown', () => {
  it.each([
    ['**bold** _em_ `code` ~~gone~~', '\\*\\*bold\\*\\* \\_em\\_ \\`code\\` \\~\\~gone\\~\\~'],
    ['<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    [
      '[link](https://evil.test) www.evil.test a@evil.test',
      '\\[link\\](https\\://evil.test) www\\.evil.test a\\@evil.test',
    ],
    ['&amp; | table | \\', '\\&amp; \\| table \\| \\\\'],
    ['# heading', '\\# heading'],
    ['- item', '\\- item'],
    ['1. item', '1\\. item'],
    ['> quote', '\\> quote'],
    ['two\nlines\r\n\n# no heading once on one line', 'two lines # no heading once on one line'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });

  it('leaves ordinary text as it is', () => {
    for (const text of ['12 St. James Sq, London', "O'Brien-Smith", 'SKU-1', 'São Paulo (SP)', '2 × SKU-1', 'GB']) {
      expect(escapeMarkdown(text)).toBe(text);
    }
  });
});

describe('what a customer typed, in the Web UI', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const city = '**Bold** <img src=x onerror=alert(1)> [link](https://evil.test)';
  const escapedCity = '\\*\\*Bold\\*\\* \\<img src=x onerror=alert(1)\\> \\[link\\](https\\://evil.test)';
  const name = '<script>alert("name")</script> *Ada*';
  const customerId = `__bold__@${randomUUID().slice(0, 8)}`;
  /** Markdown or HTML left as typed (not preceded by its escaping backslash), and any trace of the name. */
  const unescaped = [
    /\*\*(Bold|mind)/,
    /__bold/,
    /(?<!\\)<(img|script|b)/,
    /(?<!\\)\[(link|x)\]/,
    /Ada/,
    /alert\("name"\)/,
  ];

  /** Every text of the saga the Web UI renders as markdown. */
  async function webUiTexts(handle: WorkflowHandle) {
    const description = await handle.describe();
    const scheduled = activityEvents(await historyOf(handle)).filter((event) => event.kind === 'scheduled');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    return {
      summary: (await description.staticSummary()) ?? '',
      details: (await description.staticDetails()) ?? '',
      activitySummaries: scheduled.map((event) => event.summary ?? '').join('\n'),
      currentDetails: metadata.currentDetails ?? '',
      finalTable: (description.memo?.[sagaTableMemoKey] as string | undefined) ?? '',
    };
  }

  function expectNothingUnescaped(texts: Record<string, string>) {
    const found = Object.entries(texts).flatMap(([where, text]) =>
      unescaped.filter((pattern) => pattern.test(text)).map((pattern) => `${where}: ${pattern}`),
    );
    expect(found).toEqual([]);
  }

  it('escapes the city and the customer id, and shows no name, in every text of the order', async () => {
    const orderId = await placeOrder(system.apiUrl, {
      customerId,
      shippingAddress: { ...undeliverableAddress, name, city },
    });
    await orderReaches(system.apiUrl, orderId, ['cancelled']);
    const texts = await webUiTexts(system.client.workflow.getHandle(orderWorkflowId(orderId)));

    expect(texts.summary).toBe(`Order ${orderId}: 3 item(s), customer \\_\\_bold\\_\\_\\@${customerId.slice(9)}`);
    expect(texts.details).toContain(`Ship to ${escapedCity}, GR.`);
    expect(texts.activitySummaries).toContain(`Ship to ${escapedCity}, GR`);
    for (const table of [texts.currentDetails, texts.finalTable]) {
      expect(table).toContain('Failure: `Undeliverable` No courier delivers to this address.');
    }
    expectNothingUnescaped(texts);
  });

  it("escapes a cancellation's reason in the current details and the final table", async () => {
    // tok_slow: the charge takes 5 s to answer, a window to cancel in before the pivot.
    const orderId = await placeOrder(system.apiUrl, {
      customerId,
      paymentToken: 'tok_slow',
      shippingAddress: { ...undeliverableAddress, postalCode: 'SW1Y 4JH', name, city },
    });
    const handle = system.client.workflow.getHandle(orderWorkflowId(orderId));
    const token = await customerToken(customerId);
    await eventually(async () => {
      const order = (await request(`${system.apiUrl}/orders/${orderId}`, { token })).body as {
        saga?: { steps?: { name: string; status: string }[] };
      };
      return order.saga?.steps?.some((step) => step.name === 'chargePayment' && step.status === 'running') || undefined;
    });
    const reason = '<b>changed</b> my **mind**\n# see [x](https://evil.test)';
    expect((await postJson(`${system.apiUrl}/orders/${orderId}/cancel`, { reason }, token)).status).toBe(202);
    await orderReaches(system.apiUrl, orderId, ['cancelled']);
    const texts = await webUiTexts(handle);

    const escapedReason = '\\<b\\>changed\\</b\\> my \\*\\*mind\\*\\* # see \\[x\\](https\\://evil.test)';
    for (const table of [texts.currentDetails, texts.finalTable]) {
      expect(table).toContain(`Cancellation accepted: ${escapedReason}`);
      expect(table).toContain(`Failure: \`SagaCancelled\` ${escapedReason}`);
    }
    expectNothingUnescaped(texts);
  });
});
