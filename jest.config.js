/** jest: TypeScript through @swc/jest (types are checked separately by `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Integration tests start real servers and build real bundles: give them room on a 2-core machine.
  testTimeout: 60000,
  maxWorkers: 2,
  // How long a worker may take to exit once the run is over before jest kills it and prints "A worker process
  // has failed to exit gracefully". Jest's default is 500 ms. Nothing is left open at that point (no ref'd
  // handle, timer or thread in any test directory), but a worker that has run a hundred suites holds 200-300
  // MB of heap and 400-600 MB resident, and tearing that down took 0.1-0.7 s on the shared 2-core CI machine.
  // A real leak (a ref'd timer, a server left listening) never exits, so it is still reported.
  workerGracefulExitTimeout: 3000,
};
