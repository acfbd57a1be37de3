/**
 * One real Temporal dev server and one workflow bundle per test run (test/global-setup.ts); test files run one
 * at a time because they share that server, and visibility assertions count what a file started.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The unit tier (npm run test:unit, run first by npm test), the browser tests (npm run test:ui), the production
  // topology (npm run test:cluster) and the PostgreSQL faults (npm run test:postgres) run apart.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/unit/',
    '<rootDir>/test/ui/',
    '<rootDir>/test/cluster/',
    '<rootDir>/test/on-postgres/',
  ],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60_000,
};
