/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // Pure logic: no Postgres, no workflow bundle, no Temporal (`npm run test:unit`, seconds).
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    // Everything on real servers. Jest runs a project's global setup only when one of its files is selected.
    {
      ...shared,
      displayName: 'servers',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
  // Temporal's native runtime and the servers are heavy for two cores: test files run one after another.
  maxWorkers: 1,
  testTimeout: 120_000,
  // The SDK keeps native handles open for a moment after teardown.
  forceExit: true,
  // The default output, then `N passed, N failed` as the very last line, for CI to count.
  reporters: ['default', '<rootDir>/test/closing-line-reporter.js'],
};
