/**
 * Values at the edges of a JSON schema, as an OpenAPI 3.1 document states it: for each rule, the values right at
 * its limit (the longest string allowed, counted in characters as JSON Schema counts them; the smallest and largest
 * number; every value of an enum; the fewest and most items), so that a test can post them and prove that the API
 * accepts everything its document allows. Every value is checked against the schema by {@link conforms} before it
 * is used, and a keyword this file does not know fails at once: a rule added to the schema cannot go untested.
 */
import fc from 'fast-check';

export interface JsonSchema {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
}

/** Keywords that state no rule. */
const annotations = new Set(['description', 'title', 'example', 'examples']);
const rules = new Set([
  '$ref',
  'type',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
]);

/** Resolves `#/components/schemas/<name>` references against the document. */
export type Resolve = (schema: JsonSchema) => JsonSchema;

export function resolverOf(document: { components?: { schemas?: Record<string, JsonSchema> } }): Resolve {
  const resolve: Resolve = (schema) => {
    if (!schema.$ref) return schema;
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name ? document.components?.schemas?.[name] : undefined;
    if (!target) throw new Error(`Cannot resolve ${schema.$ref}`);
    return resolve(target);
  };
  return resolve;
}

/** Characters, as JSON Schema counts a string's length: Unicode code points. */
function characters(value: string): number {
  return [...value].length;
}

/** Whether `value` satisfies `schema`. */
export function conforms(schema: JsonSchema, value: unknown, resolve: Resolve): boolean {
  const rule = resolve(schema);
  for (const keyword of Object.keys(rule)) {
    if (!rules.has(keyword) && !annotations.has(keyword)) throw new Error(`Unknown JSON schema keyword: ${keyword}`);
  }
  if (rule.enum && !rule.enum.includes(value)) return false;
  switch (rule.type) {
    case 'string':
      return (
        typeof value === 'string' &&
        characters(value) >= (rule.minLength ?? 0) &&
        characters(value) <= (rule.maxLength ?? Infinity) &&
        (rule.pattern === undefined || new RegExp(rule.pattern, 'u').test(value))
      );
    case 'integer':
    case 'number':
      return (
        typeof value === 'number' &&
        (rule.type === 'number' || Number.isInteger(value)) &&
        value >= (rule.minimum ?? -Infinity) &&
        value <= (rule.maximum ?? Infinity)
      );
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return (
        Array.isArray(value) &&
        value.length >= (rule.minItems ?? 0) &&
        value.length <= (rule.maxItems ?? Infinity) &&
        value.every((item) => conforms(rule.items ?? {}, item, resolve))
      );
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      const fields = value as Record<string, unknown>;
      const properties = rule.properties ?? {};
      if ((rule.required ?? []).some((name) => !(name in fields))) return false;
      if (rule.additionalProperties === false && Object.keys(fields).some((name) => !(name in properties))) {
        return false;
      }
      return Object.entries(fields).every(
        ([name, field]) => !properties[name] || conforms(properties[name], field, resolve),
      );
    }
    case undefined:
      return true;
  }
}

/**
 * Strings that stretch a string rule: the pattern's own samples, astral characters, markdown and HTML, whitespace
 * around or alone, the empty string.
 */
function stringCandidates({ pattern, minLength = 0, maxLength = 64 }: JsonSchema): string[] {
  const samples = pattern
    ? fc.sample(fc.stringMatching(new RegExp(pattern, 'u'), { size: 'medium' }), { seed: 20261126, numRuns: 40 })
    : [];
  // A pattern's samples run short: each is also stretched to the longest the rule allows, by its last character.
  const stretched = samples.map(
    (sample) => sample + [...sample].at(-1)!.repeat(Math.max(0, maxLength - characters(sample))),
  );
  const fill = (unit: string, length: number) => [...unit.repeat(length)].slice(0, length).join('');
  return [
    ...samples,
    ...stretched,
    fill('x', Math.max(minLength, 1)),
    fill('x', maxLength),
    fill('😀', maxLength),
    fill('**<b>[a](https://x.test)</b>** ', maxLength),
    ` ${fill('x', Math.max(1, maxLength - 2))} `,
    ' ',
    fill(' ', maxLength),
    `${' '.repeat(Math.max(0, maxLength - 1))}x`.slice(-maxLength),
    '',
  ];
}

/**
 * Values of `schema` at the edges of its rules, each conforming: every value of an enum; the least and greatest
 * number; the shortest and longest strings (several of each kind, see {@link stringCandidates}); the fewest and
 * most items; and objects that take, property by property, each of those values in turn.
 */
export function edgeValues(schema: JsonSchema, resolve: Resolve): unknown[] {
  const rule = resolve(schema);
  const conforming = (values: unknown[]) => {
    const kept = [...new Set(values)].filter((value) => conforms(rule, value, resolve));
    if (kept.length === 0) throw new Error(`No edge value conforms to ${JSON.stringify(rule)}`);
    return kept;
  };
  if (rule.enum) return conforming(rule.enum);
  switch (rule.type) {
    case 'string':
      return conforming(stringCandidates(rule));
    case 'integer':
    case 'number':
      return conforming([rule.minimum ?? -1_000_000, rule.maximum ?? 1_000_000]);
    case 'boolean':
      return [false, true];
    case 'array': {
      const items = edgeValues(rule.items ?? {}, resolve);
      const ofLength = (length: number) => Array.from({ length }, (_, index) => items[index % items.length]);
      return conforming([ofLength(Math.max(rule.minItems ?? 0, 1)), ofLength(rule.maxItems ?? items.length)]);
    }
    case 'object': {
      const properties = Object.entries(rule.properties ?? {}).map(
        ([name, property]) => [name, edgeValues(property, resolve)] as const,
      );
      const count = Math.max(1, ...properties.map(([, values]) => values.length));
      return conforming(
        Array.from({ length: count }, (_, index) =>
          Object.fromEntries(properties.map(([name, values]) => [name, values[index % values.length]])),
        ),
      );
    }
    default:
      throw new Error(`No edge values for ${JSON.stringify(rule)}`);
  }
}
