import type { PgMigrationSet } from './pg-migrations';

/**
 * The usage ledger's PostgreSQL schema. Unlike SQLite, where one process derives reservations from
 * its audit log, replicas share reservations in a table: each must see the others' before deciding.
 */
export const usagePgMigrations: PgMigrationSet = {
  component: 'usage',
  migrations: [
    {
      version: 1,
      name: 'create usage reports and the reservations replicas share',
      sql: `
        CREATE TABLE usage_reports (
          decision_id   text    PRIMARY KEY,
          subject       text    NOT NULL,
          input_tokens  bigint  NOT NULL,
          output_tokens bigint  NOT NULL,
          cost_usd      double precision,
          reported_ms   bigint  NOT NULL
        );
        CREATE INDEX usage_reports_subject ON usage_reports (subject, reported_ms);
        -- Budgets across replicas: every allowed decision's reservation, written under the subject's
        -- advisory lock before the decision is answered (see PgUsageTracker); a report replaces tokens.
        CREATE TABLE usage_reservations (
          decision_id text   PRIMARY KEY,
          subject     text   NOT NULL,
          model       text   NOT NULL,
          tokens      double precision NOT NULL,
          at_ms       bigint NOT NULL
        );
        CREATE INDEX usage_reservations_subject ON usage_reservations (subject, at_ms);`,
    },
    {
      version: 2,
      name: 'roll reservations up into per-minute buckets, kept by triggers',
      // Why: the counter read under a subject's lock summed every reservation of the subject's day,
      // so its cost grew with the day's decisions. It now sums at most a day of minute buckets plus
      // the reservations of the partial minute at each window's edge (pg-usage-counters.ts).
      //
      // Why triggers rather than the writers: every change to usage_reservations (the tracker's
      // inserts, a report's settle, a release, the expiry sweep, an operator's DELETE, and replicas
      // of the previous version during a rolling upgrade) updates the buckets in its own
      // transaction, so no writer can forget to. Statement-level with transition tables: a group
      // commit of 256 reservations is one grouped upsert, not 256 updates of one bucket row. The
      // upsert visits buckets in key order, so concurrent writers lock them in the same order.
      // A bucket whose last reservation goes is deleted: the table holds exactly the non-empty
      // groups of usage_reservations by (subject, minute, model), and expires with them.
      //
      // CREATE TRIGGER locks out writers of usage_reservations until this migration commits, so
      // the backfill below sees every reservation committed before it and none is missed after.
      sql: `
        CREATE TABLE usage_minutes (
          subject  text   NOT NULL,
          minute   bigint NOT NULL, -- floor(at_ms / 60000)
          model    text   NOT NULL,
          requests bigint NOT NULL,
          tokens   double precision NOT NULL,
          PRIMARY KEY (subject, minute, model)
        );
        CREATE FUNCTION usage_minutes_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO usage_minutes AS b (subject, minute, model, requests, tokens)
            SELECT subject, floor(at_ms / 60000.0)::bigint, model, count(*), sum(tokens)
              FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (subject, minute, model) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
            RETURN NULL;
          ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO usage_minutes AS b (subject, minute, model, requests, tokens)
            SELECT subject, minute, model, sum(requests), sum(tokens) FROM (
                SELECT subject, floor(at_ms / 60000.0)::bigint AS minute, model, 1 AS requests, tokens
                  FROM new_rows
                UNION ALL
                SELECT subject, floor(at_ms / 60000.0)::bigint, model, -1, -tokens FROM old_rows
              ) AS delta
             GROUP BY 1, 2, 3 HAVING sum(requests) <> 0 OR sum(tokens) <> 0 ORDER BY 1, 2, 3
            ON CONFLICT (subject, minute, model) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
          ELSE
            INSERT INTO usage_minutes AS b (subject, minute, model, requests, tokens)
            SELECT subject, floor(at_ms / 60000.0)::bigint, model, -count(*), -sum(tokens)
              FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (subject, minute, model) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
          END IF;
          -- Buckets this statement emptied: only rows it has just locked itself.
          DELETE FROM usage_minutes AS b
           USING (SELECT DISTINCT subject, floor(at_ms / 60000.0)::bigint AS minute, model FROM old_rows) AS o
           WHERE b.subject = o.subject AND b.minute = o.minute AND b.model = o.model AND b.requests = 0;
          RETURN NULL;
        END
        $fn$;
        CREATE TRIGGER usage_minutes_insert AFTER INSERT ON usage_reservations
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_minutes_apply();
        CREATE TRIGGER usage_minutes_update AFTER UPDATE ON usage_reservations
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION usage_minutes_apply();
        CREATE TRIGGER usage_minutes_delete AFTER DELETE ON usage_reservations
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_minutes_apply();
        INSERT INTO usage_minutes (subject, minute, model, requests, tokens)
        SELECT subject, floor(at_ms / 60000.0)::bigint, model, count(*), sum(tokens)
          FROM usage_reservations GROUP BY 1, 2, 3;`,
    },
  ],
};
