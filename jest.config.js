/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  collectCoverageFrom: ['app/**/*.ts', 'config/**/*.ts', 'models/**/*.ts', 'routes/**/*.ts', 'middleware/**/*.ts', 'seeders/**/*.ts', '!app/web/**'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 90 } },
  testTimeout: 30000,
};
