/**
 * The OpenAPI document is the order API's contract: every body it allows must be accepted. Bodies are generated
 * from the served document alone (test/schema-edges.ts: each rule at its edge, every country of the list) and
 * posted; each must be a 202. So a rule the validation checks but the document does not state (a trimmed text, a
 * length counted another way, a list of values) fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { orderRequest } from './fixtures/orders';
import { postJson, request } from './http';
import type { JsonSchema } from './schema-edges';
import { conforms, edgeValues, resolverOf } from './schema-edges';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken } from './tokens';

interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** The README's example order, as its `curl` sends it. */
function readmeOrder(): unknown {
  const readme = readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
  const body = /curl -i -X POST \S+\/orders .*?-d '([^']*)'/s.exec(readme)?.[1];
  if (!body) throw new Error('The README has no example order');
  return JSON.parse(body);
}

describe('order bodies generated from the OpenAPI document', () => {
  let system: TestSystem;
  let document: OpenApiDocument;
  beforeAll(async () => {
    system = await startTestSystem();
    document = (await request(`${system.apiUrl}/openapi.json`)).body as OpenApiDocument;
  });
  afterAll(async () => {
    await system?.stop();
  });

  const orderSchema = () => document.paths['/orders']?.post?.requestBody?.content['application/json']?.schema ?? {};
  /** POSTs an order as the customer its body names, as that customer's client would. */
  const postOrder = async (body: unknown) =>
    postJson(`${system.apiUrl}/orders`, body, await customerToken((body as { customerId: string }).customerId));

  it('accepts every body at the edges of the rules the document states', async () => {
    const resolve = resolverOf(document);
    const bodies = edgeValues(orderSchema(), resolve) as Record<string, unknown>[];

    // The generator reaches each edge: every country, the longest texts in characters, the fewest and most items.
    const addresses = bodies.map((body) => body.shippingAddress as Record<string, string>);
    const countries = resolve(resolve(orderSchema()).properties!.shippingAddress!).properties!.country!.enum!;
    expect(countries).toHaveLength(249);
    expect(new Set(addresses.map((address) => address.country))).toEqual(new Set(countries));
    expect(addresses.map((address) => address.name)).toContain('😀'.repeat(200));
    expect(addresses.map((address) => [...address.city!].length)).toContain(100);
    expect(new Set(bodies.map((body) => (body.items as unknown[]).length))).toEqual(new Set([1, 100]));
    // And it refuses what the document refuses, so its bodies are not valid by accident.
    const [first] = bodies;
    expect(conforms(orderSchema(), { ...first, shippingAddress: { ...addresses[0], country: 'ZZ' } }, resolve)).toBe(
      false,
    );
    expect(
      conforms(orderSchema(), { ...first, items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1 }] }, resolve),
    ).toBe(false);

    const refused: { body: unknown; status: number; answer: unknown }[] = [];
    const queue = [...bodies];
    const lane = async () => {
      for (let body = queue.shift(); body; body = queue.shift()) {
        const response = await postOrder(body);
        if (response.status !== 202) refused.push({ body, status: response.status, answer: response.body });
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    console.log(`Posted ${bodies.length} bodies generated from the OpenAPI document`);
    expect(refused).toEqual([]);
  }, 120_000);

  it("accepts the README's example order and the test fixture's, which the document allows", async () => {
    const resolve = resolverOf(document);
    for (const body of [readmeOrder(), orderRequest()]) {
      expect(conforms(orderSchema(), body, resolve)).toBe(true);
      expect((await postOrder(body)).status).toBe(202);
    }
  });
});
