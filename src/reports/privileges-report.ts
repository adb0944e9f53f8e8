import { dottedGlobMatches } from './dotted-glob';
import type { Entitlement } from './entitlement-grants';
import type { SubjectUsage } from './privilege-usage';

/** A budget counts as far above use when peak use is below this share of it. */
export const HEADROOM_FLAG_SHARE = 0.25;
/** The tightened patch keeps this multiple of peak use as the new budget (never above the old one). */
export const PATCH_HEADROOM_FACTOR = 2;

/** One budget: what is granted, the peak actually used, and whether that is far apart. */
export interface BudgetFinding {
  limit: 'daily_tokens' | 'requests_per_minute';
  granted: number;
  peak_used: number;
  far_above_use: boolean;
}

/** Granted against used for one subject. */
export interface SubjectPrivileges {
  subject: string;
  /** Whether the bundle grants this subject anything; false for a subject only the log knows. */
  entitled: boolean;
  allowed: number;
  denied: number;
  last_used: string | null;
  granted: { models: string[]; operations: string[]; purposes: string[] | null; tools: string[] };
  used: {
    models: Record<string, number>;
    operations: Record<string, number>;
    purposes: Record<string, number>;
    tools: Record<string, number>;
  };
  /** Grants no allowed call in the period used. */
  unused: { models: string[]; operations: string[]; purposes: string[]; tools: string[] };
  budgets: BudgetFinding[];
  peak_call_tokens: number;
  /** Denials that suggest a missing grant: "reason value" → count. */
  missing_grants: Record<string, number>;
}

/** The privileges report: every entitled subject, and every subject the log saw. */
export interface PrivilegesReport {
  period: { from: string | null; to: string | null };
  bundle: { name: string; revision: string };
  entitlements_path: string;
  subjects: SubjectPrivileges[];
}

/** Returns granted-against-used for one subject. */
export function subjectPrivileges(
  subject: string,
  grant: Entitlement | undefined,
  used: SubjectUsage | undefined,
): SubjectPrivileges {
  const models = grant?.models ?? [];
  const operations = grant?.operations ?? [];
  const purposes = grant?.purposes ?? null;
  const tools = Object.keys(grant?.tools ?? {});
  const usedModels = [...(used?.models.keys() ?? [])];
  const limits = grant?.limits ?? {};
  const budgets: BudgetFinding[] = [];
  const budget = (limit: BudgetFinding['limit'], peak: number) => {
    const granted = limits[limit];
    if (typeof granted !== 'number') return;
    budgets.push({ limit, granted, peak_used: peak, far_above_use: peak < granted * HEADROOM_FLAG_SHARE });
  };
  budget('daily_tokens', used?.peakDailyTokens ?? 0);
  budget('requests_per_minute', used?.peakRequestsPerMinute ?? 0);
  return {
    subject,
    entitled: grant !== undefined,
    allowed: used?.allowed ?? 0,
    denied: used?.denied ?? 0,
    last_used: used?.lastUsed ?? null,
    granted: { models, operations, purposes, tools },
    used: {
      models: record(used?.models),
      operations: record(used?.operations),
      purposes: record(used?.purposes),
      tools: record(used?.tools),
    },
    unused: {
      models: models.filter((pattern) => !usedModels.some((m) => dottedGlobMatches(pattern, m))),
      operations: operations.filter((o) => !used?.operations.has(o)),
      purposes: (purposes ?? []).filter((p) => !used?.purposes.has(p)),
      tools: tools.filter((t) => !used?.tools.has(t)),
    },
    budgets,
    peak_call_tokens: used?.peakCallTokens ?? 0,
    missing_grants: record(missingGrants(used?.missing, grant)),
  };
}

/**
 * The denials that name a grant the subject lacks. The log keeps a denied call's reason codes and its tools, not
 * which tool a code was about: a call for a granted tool and an ungranted one lists both under tool_not_allowed.
 * With the subject's grants known, tool_not_allowed keeps the tools it lacks and actor_not_allowed (a tool granted
 * to the subject but not to the agent acting for it) the tools it has.
 */
function missingGrants(
  missing: Map<string, number> | undefined,
  grant: Entitlement | undefined,
): Map<string, number> | undefined {
  const tools = grant?.tools;
  if (missing === undefined || tools === undefined) return missing;
  const granted = (tool: string) => Object.hasOwn(tools, tool);
  return new Map(
    [...missing].filter(([key]) => {
      const space = key.indexOf(' ');
      const [reason, tool] = [key.slice(0, space), key.slice(space + 1)];
      if (reason === 'tool_not_allowed') return !granted(tool);
      if (reason === 'actor_not_allowed') return granted(tool);
      return true;
    }),
  );
}

/**
 * Returns the entitlements with every unused grant removed and budgets far above use lowered to
 * PATCH_HEADROOM_FACTOR x peak: a proposal for people to review, never applied by modelgate.
 * Every call allowed in the period stays allowed (peaks are taken from the usage each call saw).
 */
export function tightenedEntitlements(
  entitlements: Record<string, Entitlement>,
  subjects: SubjectPrivileges[],
): Record<string, Entitlement> {
  const bySubject = new Map(subjects.map((s) => [s.subject, s]));
  const out: Record<string, Entitlement> = {};
  for (const [subject, grant] of Object.entries(entitlements)) {
    const found = bySubject.get(subject);
    if (!found) {
      out[subject] = grant;
      continue;
    }
    const next: Entitlement = { ...grant };
    const drop = (list: string[] | undefined, unused: string[]) => list?.filter((v) => !unused.includes(v));
    if (grant.models) next.models = drop(grant.models, found.unused.models);
    if (grant.operations) next.operations = drop(grant.operations, found.unused.operations);
    if (grant.purposes) next.purposes = drop(grant.purposes, found.unused.purposes);
    if (grant.tools) {
      next.tools = Object.fromEntries(
        Object.entries(grant.tools).filter(([t]) => !found.unused.tools.includes(t)),
      );
    }
    const limits = { ...(grant.limits ?? {}) };
    for (const b of found.budgets) {
      if (b.far_above_use)
        limits[b.limit] = Math.min(b.granted, Math.max(1, b.peak_used * PATCH_HEADROOM_FACTOR));
    }
    if (grant.limits) next.limits = limits;
    out[subject] = next;
  }
  return out;
}

function record(map: Map<string, number> | undefined): Record<string, number> {
  return Object.fromEntries([...(map ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)));
}
