/**
 * The unit tier (`npm run test:unit`, and first in `npm test`): the pure parts (error classification, the timeline
 * read from a history, order status, markdown, configuration parsing, keys, tokens and cursors), with no Temporal
 * server, no worker and no database. Seconds, not minutes.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  testTimeout: 10_000,
};
