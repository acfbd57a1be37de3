/**
 * `npm run test:ui`: the browser tests (test/ui), apart from `npm test` so that the main suite needs no browser.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/ui/**/*.test.ts'],
  testPathIgnorePatterns: [],
  testTimeout: 120_000,
};
