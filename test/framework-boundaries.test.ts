/**
 * The framework's boundaries, as the project's own lint configuration enforces them: the engine (workflows/saga/),
 * the framework's client and HTTP trigger (api/saga/) and its worker side (workers/saga/) never import the reference
 * app built on them; the app uses the framework through its entry points only; and no code imports another
 * package's private paths. Each rule is read from eslint.config.mjs for a real framework file,
 * then shown refusing a forbidden import and letting an allowed one through. No server.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const projectRoot = path.resolve(__dirname, '..');

/** ESLint's `no-restricted-imports` for `file`, as the project's configuration sets it (`eslint --print-config`). */
const configuredRule = (() => {
  const rules = new Map<string, Linter.RuleEntry>();
  return (file: string): Linter.RuleEntry => {
    if (!rules.has(file)) {
      const printed = execFileSync(path.join(projectRoot, 'node_modules/.bin/eslint'), ['--print-config', file], {
        cwd: projectRoot,
        encoding: 'utf8',
      });
      const config = JSON.parse(printed) as { rules: Record<string, Linter.RuleEntry> };
      rules.set(file, config.rules['no-restricted-imports']!);
    }
    return rules.get(file)!;
  };
})();

/** The `no-restricted-imports` messages for `source` in a file at `file`, under the rule configured for `configuredFor`. */
async function refusals(configuredFor: string, file: string, source: string): Promise<string[]> {
  const rule = configuredRule(configuredFor);
  const linter = new Linter({ configType: 'flat' });
  return linter
    .verify(
      `import { something } from '${source}';\nexport const used = something;\n`,
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          rules: { 'no-restricted-imports': rule },
        },
      ],
      path.join(projectRoot, file),
    )
    .map((message) => message.message);
}

describe("the framework's import boundaries", () => {
  it.each([
    ['../orders/trigger', 'the order API'],
    ['../saga/../app', 'the app'],
    ['../problem', "a module of the app's"],
    ['../../config', "the app's configuration"],
    ['../../activities/payments', 'a service'],
    ['../../workflows/order', 'the order saga'],
    ['../../workflows/saga/../order', 'the order saga, through the engine'],
  ])('refuse %s (%s) from the HTTP trigger', async (source) => {
    const messages = await refusals('api/saga/trigger.ts', 'api/saga/new-module.ts', source);
    expect(messages).toEqual([expect.stringMatching(/Framework code may not import the reference app/)]);
  });

  it.each(['./client', '../../workflows/saga', '../../workflows/saga/state', 'express', 'zod'])(
    'let the HTTP trigger import %s',
    async (source) => {
      expect(await refusals('api/saga/trigger.ts', 'api/saga/new-module.ts', source)).toEqual([]);
    },
  );

  it('refuse the app from the engine, and let it import itself', async () => {
    for (const source of [
      '../order',
      '../shipment',
      '../task-queues',
      '../../api/orders/trigger',
      './state/../../order',
    ]) {
      expect(await refusals('workflows/saga/saga.ts', 'workflows/saga/new-module.ts', source)).toEqual([
        expect.stringMatching(/The engine may not import the reference app/),
      ]);
    }
    expect(await refusals('workflows/saga/saga.ts', 'workflows/saga/new-module.ts', './state')).toEqual([]);
  });

  it('refuse the app from the worker side, and let it import the engine and the client', async () => {
    for (const source of [
      '../service-worker',
      '../../config',
      '../../activities/payments',
      '../../api/orders/trigger',
    ]) {
      expect(await refusals('workers/saga/index.ts', 'workers/saga/new-module.ts', source)).toEqual([
        expect.stringMatching(/Framework code may not import the reference app/),
      ]);
    }
    for (const source of ['./interceptors', '../../workflows/saga', '../../api/saga', '@temporalio/worker']) {
      expect(await refusals('workers/saga/index.ts', 'workers/saga/new-module.ts', source)).toEqual([]);
    }
  });

  it("hold the app to the framework's entry points, as a project that installed the package", async () => {
    for (const [file, source] of [
      ['api/new-module.ts', './saga/trigger'],
      ['api/orders/new-module.ts', '../saga/client'],
      ['workers/new-module.ts', './saga/interceptors'],
      ['scripts/new-module.ts', '../workflows/saga/saga'],
    ] as const) {
      expect(await refusals('api/app.ts', file, source)).toEqual([
        expect.stringMatching(/Use the framework through its entry points/),
      ]);
    }
    for (const [file, source] of [
      ['api/new-module.ts', './saga'],
      ['api/new-module.ts', './saga/express'],
      ['workers/new-module.ts', './saga'],
      ['workers/new-module.ts', './saga/testing'],
      ['scripts/new-module.ts', '../workflows/saga'],
    ] as const) {
      expect(await refusals('api/app.ts', file, source)).toEqual([]);
    }
    expect(await refusals('workflows/order.ts', 'workflows/new-module.ts', './saga/state')).toEqual([
      expect.stringMatching(/Use the framework through its entry points/),
    ]);
  });

  it("refuse another package's private paths anywhere", async () => {
    for (const [configuredFor, file] of [
      ['api/app.ts', 'api/new-module.ts'],
      ['api/saga/client.ts', 'api/saga/new-module.ts'],
      ['workers/saga/index.ts', 'workers/saga/new-module.ts'],
      ['workflows/saga/saga.ts', 'workflows/saga/new-module.ts'],
    ] as const) {
      expect(await refusals(configuredFor, file, '@temporalio/common/lib/time')).toEqual([
        expect.stringMatching(/its lib\/ paths are private/),
      ]);
    }
  });
});
