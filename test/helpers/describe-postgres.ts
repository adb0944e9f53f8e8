import { postgresBinDir } from './postgres-cluster';

/** `describe` when PostgreSQL is available (installed if need be), else `describe.skip` after a loud message. */
export const describeWithPostgres: jest.Describe = (
  postgresBinDir() ? describe : describe.skip
) as jest.Describe;
