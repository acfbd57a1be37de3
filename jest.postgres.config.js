/**
 * The service suites again with every service on PostgreSQL: `TEST_POSTGRES_URL` names a server (for example
 * the one `scripts/postgres/start-local.sh` starts) and each test system gets fresh databases on it.
 * @type {import('jest').Config}
 */
if (!process.env.TEST_POSTGRES_URL) {
  throw new Error('npm run test:postgres needs TEST_POSTGRES_URL: eval "$(scripts/postgres/start-local.sh)" first.');
}
module.exports = {
  ...require('./jest.config.js'),
  testMatch: [
    '<rootDir>/test/{place-order,order-*,api-orders,shipping-recovery}.test.ts',
    '<rootDir>/test/on-postgres/**/*.test.ts',
  ],
  // The escalation over Nexus waits out a 91 s timeout on storage order-escalation.test.ts covers already; reads
  // with every worker stopped wait a minute for sagas to publish their step, and read Temporal, not storage.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/order-escalation-over-nexus.test.ts',
    '<rootDir>/test/order-reads-without-workers.test.ts',
  ],
};
