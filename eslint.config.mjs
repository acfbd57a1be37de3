// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Node built-ins, with and without the `node:` prefix: forbidden in deterministic workflow code. */
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** Other packages' private paths: only their public entry points, which keep their promises across versions. */
const privatePaths = {
  group: ['@temporalio/*/lib/**'],
  message: 'Import from the package itself: its lib/ paths are private and change without notice.',
};

/**
 * The framework (the engine in workflows/saga/, its client and HTTP trigger in api/saga/) never imports the
 * reference app built on it: from api/saga/, nothing relative leaves the folder but for the engine.
 */
const appFromApiSaga = {
  regex: '^\\.\\./(?!\\.\\./workflows/saga(/(?!.*\\.\\.)|$))',
  message: 'Framework code may not import the reference app: only api/saga/ itself and the engine (workflows/saga).',
};
const appFromWorkerSide = {
  regex: '^\\.\\./(?!\\.\\./(workflows|api)/saga(/(?!.*\\.\\.)|$))',
  message: 'Framework code may not import the reference app: only workers/saga/, the engine and api/saga/.',
};
const appFromEngine = {
  regex: '^\\.\\.?/.*\\.\\.(/|$)|^\\.\\./',
  message: 'The engine may not import the reference app: only workflows/saga/ itself.',
};

/**
 * The reference app uses the framework as any project would: through its entry points only (the package's
 * `exports`): workflows/saga (the engine), api/saga (the client), api/saga/express, workers/saga (the worker side)
 * and workers/saga/testing. Tests may reach inside, to test the parts.
 */
const frameworkInternals = {
  group: ['**/saga/*', '!**/saga/express', '!**/saga/testing'],
  message:
    "Use the framework through its entry points (the package's exports): workflows/saga, api/saga, api/saga/express, workers/saga, workers/saga/testing.",
};

/** The determinism guard's import rules, with `patterns` of a folder's own. */
function workflowImports(...patterns) {
  return [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'Workflow code must be deterministic: no Node built-ins.',
      })),
      patterns: [
        {
          // A service's Nexus contract (nexus-rpc definitions and types) is what a saga calls its operations by; the
          // business failures (failures.ts, nothing but ApplicationFailure) are what a saga may fail a step with.
          regex: '(^|/)activities/(?!.*\\.d$)(?![^/]+/contract$)(?!failures$)',
          allowTypeImports: true,
          message:
            "Workflows import activities as types only (import type) and call them through proxyActivities, or a service's Nexus operations through its contract.",
        },
        {
          group: ['@temporalio/worker', '@temporalio/client', '@temporalio/testing'],
          message: 'Not in workflow code.',
        },
        privatePaths,
        ...patterns,
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'packages/*/dist/', 'coverage/', 'data/', '.temporal/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-restricted-imports': ['error', { patterns: [privatePaths, frameworkInternals] }],
      'no-console': 'off',
      // Activities and route handlers are async by contract, whether or not a body awaits.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The determinism guard: workflow code is replayed, so it may not touch the outside world.
    files: ['workflows/**/*.ts', 'test/sagas/workflows.ts'],
    rules: {
      'no-restricted-imports': workflowImports(frameworkInternals),
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflow code must be deterministic: no process.' },
        { name: 'setInterval', message: 'Use sleep() or a condition() with a timeout.' },
      ],
    },
  },
  {
    files: ['workflows/saga/**/*.ts'],
    rules: { 'no-restricted-imports': workflowImports(appFromEngine) },
  },
  {
    files: ['api/saga/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [privatePaths, appFromApiSaga] }] },
  },
  {
    files: ['workers/saga/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [privatePaths, appFromWorkerSide] }] },
  },
  {
    // Tests reach inside the framework, to test its parts one by one.
    files: ['test/**/*.ts'],
    ignores: ['test/sagas/workflows.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [privatePaths] }] },
  },
  {
    // jest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any` by design.
    files: ['test/**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { module: 'writable', require: 'readonly', process: 'readonly' },
    },
    // CommonJS config files (jest's) load each other with require().
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
