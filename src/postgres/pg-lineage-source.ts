import type { Pool } from 'pg';
import type { LineageSource } from '../audit/lineage-query';

/** The parent a record names, as the audit_records_lineage_parent index (audit migration 3) computes it. */
export const LINEAGE_PARENT =
  "left((replace(record, '\\u0000', '\\ufffd')::jsonb) #>> '{input,lineage,parent_id}', 64)";

/**
 * Returns the lineage source of a PostgreSQL audit log: the same walk as on SQLite (lineageTree),
 * its child lookups served by the audit_records_lineage_parent expression index (migration 4).
 */
export function pgLineageSource(pool: Pool): LineageSource {
  return {
    byId: async (id) => {
      const { rows } = await pool.query<{ record: string }>(
        'SELECT record FROM audit_records WHERE decision_id = $1',
        [id],
      );
      return rows[0]?.record;
    },
    byParent: async (id, limit) => {
      const { rows } = await pool.query<{ record: string }>(
        `SELECT record FROM audit_records
          WHERE ${LINEAGE_PARENT} = $1 ORDER BY seq LIMIT $2`,
        [id, limit],
      );
      return rows.map((row) => row.record);
    },
  };
}
