import type { AuditRecordV1 } from '../../src/audit/audit-record';
import { resolveLineage, type LineageLookup } from '../../src/lineage/lineage-checks';
import type { VerifiedSubject } from '../../src/identity';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');
const PARENT_ID = '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f';

function subject(id: string, actor?: Record<string, unknown>, issuer = 'https://idp.test'): VerifiedSubject {
  return {
    id,
    issuer,
    audience: ['modelgate'],
    scopes: [],
    claims: {},
    actor,
  } as VerifiedSubject;
}

// A fake of our own LineageLookup holding one recorded parent.
function lookupOf(parent: {
  subject: string;
  actor?: Record<string, unknown>;
  issuer?: string;
}): LineageLookup {
  const record = {
    decision_id: PARENT_ID,
    timestamp: new Date(NOW - 1000).toISOString(),
    path: '/v1/decide',
    outcome: 'allowed',
    subject: parent.subject,
    issuer: parent.issuer ?? 'https://idp.test',
    actor: (parent.actor?.sub as string | undefined) ?? null,
    model: 'm',
    operation: 'chat',
    purpose: null,
    input: { subject: { id: parent.subject, actor: parent.actor } },
  } as unknown as AuditRecordV1;
  return { find: async (id) => (id === PARENT_ID ? record : null), maxParentAgeMs: 60_000 };
}

const claim = { context: { parent_decision_id: PARENT_ID }, traceparent: undefined };

describe('resolveLineage: whose decision may be continued', () => {
  it('accepts the agent’s own decision continued by a user acting through that agent', async () => {
    const lineage = await resolveLineage(
      lookupOf({ subject: 'agent:triage' }),
      subject('user:ana', { sub: 'agent:triage' }),
      claim,
      NOW,
    );
    expect(lineage).toMatchObject({ parent_id: PARENT_ID, depth: 1 });
  });

  it('accepts a call the agent made for a user, continued by the agent under its own identity', async () => {
    const lineage = await resolveLineage(
      lookupOf({ subject: 'user:ana', actor: { sub: 'agent:triage' } }),
      subject('agent:triage'),
      claim,
      NOW,
    );
    expect(lineage?.depth).toBe(1);
  });

  it('refuses two users of one agent sharing a chain: parent_foreign', async () => {
    await expect(
      resolveLineage(
        lookupOf({ subject: 'user:ana', actor: { sub: 'agent:triage' } }),
        subject('user:bob', { sub: 'agent:triage' }),
        claim,
        NOW,
      ),
    ).rejects.toMatchObject({ code: 'parent_foreign', status: 400 });
  });

  it('refuses an actor of the same name from another issuer: parent_foreign', async () => {
    // Another issuer's tokens may name any subject: its agent:triage is not the IdP's.
    const ci = 'https://ci.example';
    await expect(
      resolveLineage(
        lookupOf({ subject: 'user:ana', actor: { sub: 'agent:triage' } }),
        subject('agent:triage', undefined, ci),
        claim,
        NOW,
      ),
    ).rejects.toMatchObject({ code: 'parent_foreign', status: 400 });
    await expect(
      resolveLineage(
        lookupOf({ subject: 'agent:triage', issuer: ci }),
        subject('user:ana', { sub: 'agent:triage' }),
        claim,
        NOW,
      ),
    ).rejects.toMatchObject({ code: 'parent_foreign', status: 400 });
  });

  it('takes an actor from the issuer its act claim names', async () => {
    const ci = 'https://ci.example';
    const lineage = await resolveLineage(
      lookupOf({ subject: 'agent:triage', issuer: ci }),
      subject('user:ana', { sub: 'agent:triage', iss: ci }),
      claim,
      NOW,
    );
    expect(lineage?.depth).toBe(1);
  });

  it('returns no lineage for a request that names no parent, session or trace', async () => {
    expect(
      await resolveLineage(
        lookupOf({ subject: 'a' }),
        subject('a'),
        { context: {}, traceparent: undefined },
        NOW,
      ),
    ).toBeUndefined();
  });
});
