/** jest: TypeScript through @swc/jest (types are checked separately by `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Integration tests start real servers and build real bundles: give them room on a 2-core machine.
  testTimeout: 60000,
  maxWorkers: 2,
};
