/**
 * `npm run test:cluster` (scripts/temporal-cluster/test.sh starts what it needs): the production topology, apart
 * from the main suite, which runs on the embedded dev server.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 600_000,
};
