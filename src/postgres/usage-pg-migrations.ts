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
    {
      version: 3,
      name: 'mark reservations still held (unreported), so that only those expire with the TTL',
      // Why: the counter read dropped every reservation older than the reservation TTL, reported or not, so a
      // TTL shorter than the day made reported usage leave the daily budget after the TTL (an hour's TTL made
      // the daily budget an hourly one). The TTL ends an unreported reservation's claim only (docs/usage.md,
      // as MemoryUsageTracker counts on SQLite): a report clears `held`, and the read counts a held
      // reservation's tokens while it is younger than the TTL and a settled one's for the whole day. The
      // buckets are kept per `held` as well, so that the read stays a day of buckets plus edge minutes.
      //
      // Dropping the triggers locks out writers of usage_reservations until this migration commits, so the
      // rebuilt buckets miss nothing. A replica of the previous version inserts held reservations (the
      // default) and settles without clearing held: its reports count as before until it is upgraded.
      sql: `
        DROP TRIGGER usage_minutes_insert ON usage_reservations;
        DROP TRIGGER usage_minutes_update ON usage_reservations;
        DROP TRIGGER usage_minutes_delete ON usage_reservations;
        ALTER TABLE usage_reservations ADD COLUMN held boolean NOT NULL DEFAULT true;
        UPDATE usage_reservations AS r SET held = false FROM usage_reports AS u WHERE u.decision_id = r.decision_id;
        DROP TABLE usage_minutes;
        CREATE TABLE usage_minutes (
          subject  text   NOT NULL,
          minute   bigint NOT NULL, -- floor(at_ms / 60000)
          model    text   NOT NULL,
          held     boolean NOT NULL,
          requests bigint NOT NULL,
          tokens   double precision NOT NULL,
          PRIMARY KEY (subject, minute, model, held)
        );
        CREATE OR REPLACE FUNCTION usage_minutes_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO usage_minutes AS b (subject, minute, model, held, requests, tokens)
            SELECT subject, floor(at_ms / 60000.0)::bigint, model, held, count(*), sum(tokens)
              FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (subject, minute, model, held) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
            RETURN NULL;
          ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO usage_minutes AS b (subject, minute, model, held, requests, tokens)
            SELECT subject, minute, model, held, sum(requests), sum(tokens) FROM (
                SELECT subject, floor(at_ms / 60000.0)::bigint AS minute, model, held, 1 AS requests, tokens
                  FROM new_rows
                UNION ALL
                SELECT subject, floor(at_ms / 60000.0)::bigint, model, held, -1, -tokens FROM old_rows
              ) AS delta
             GROUP BY 1, 2, 3, 4 HAVING sum(requests) <> 0 OR sum(tokens) <> 0 ORDER BY 1, 2, 3, 4
            ON CONFLICT (subject, minute, model, held) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
          ELSE
            INSERT INTO usage_minutes AS b (subject, minute, model, held, requests, tokens)
            SELECT subject, floor(at_ms / 60000.0)::bigint, model, held, -count(*), -sum(tokens)
              FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (subject, minute, model, held) DO UPDATE
              SET requests = b.requests + excluded.requests, tokens = b.tokens + excluded.tokens;
          END IF;
          -- Buckets this statement emptied: only rows it has just locked itself.
          DELETE FROM usage_minutes AS b
           USING (SELECT DISTINCT subject, floor(at_ms / 60000.0)::bigint AS minute, model, held FROM old_rows) AS o
           WHERE b.subject = o.subject AND b.minute = o.minute AND b.model = o.model AND b.held = o.held
             AND b.requests = 0;
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
        INSERT INTO usage_minutes (subject, minute, model, held, requests, tokens)
        SELECT subject, floor(at_ms / 60000.0)::bigint, model, held, count(*), sum(tokens)
          FROM usage_reservations GROUP BY 1, 2, 3, 4;`,
    },
  ],
};
