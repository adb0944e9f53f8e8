import type { Config } from '../config/config';

// replay and report read the SQLite audit log. After `audit migrate` its file stays where it was while the
// service writes to PostgreSQL: read by default, it would be reported on as if it were current.

/** Returns the usage error for a postgres:// --db given to a command that reads SQLite only, or null. */
export function postgresDbRefusal(command: string, db: string | undefined): string | null {
  return db !== undefined && /^postgres(ql)?:\/\//.test(db)
    ? `--db takes an SQLite file: ${command} does not read PostgreSQL yet`
    : null;
}

/** Returns why `command` will not read the configured SQLite file (database.url is set), or null. */
export function configuredPostgresRefusal(command: string, config: Config): string | null {
  return config.database
    ? `${command} reads an SQLite audit log and is not available with database.url (PostgreSQL) yet; ` +
        'give --db FILE to read an SQLite file on purpose'
    : null;
}
