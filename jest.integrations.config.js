/**
 * jest for `npm run test:integrations`: the end-to-end tests of integrations/ that drive third-party
 * software: Python (FastMCP, the LiteLLM proxy) from virtualenvs cached under .tools/, and nginx with njs.
 * Kept out of `npm test` because the first install of those takes minutes and hundreds of MB.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/integrations'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 180000,
  maxWorkers: 1,
};
