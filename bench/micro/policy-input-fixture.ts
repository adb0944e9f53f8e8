import { buildPolicyInput, type PolicyInputV1 } from '../../src/decision/policy-input';
import { buildVerifiedIdentity, tokenSha256 } from '../../src/identity/verified-identity';
import type { DecideRequestV1 } from '../../src/schemas/decide-request.schema';
import { screenPayload } from '../../src/screening';
import { benchClaims, decideBody } from '../lib/workload';

/** Returns the policy input modelgate builds for the benchmark request, made with the pipeline's own functions. */
export function benchPolicyInput(): PolicyInputV1 {
  const request = decideBody() as unknown as DecideRequestV1;
  const identity = buildVerifiedIdentity(benchClaims(1), tokenSha256('bench'));
  const nowMs = Date.now();
  return buildPolicyInput({
    subject: identity.subject,
    request,
    payload: screenPayload(request.payload),
    usage: {
      requests_last_minute: 12,
      tokens_last_hour: 40_000,
      tokens_last_day: 300_000,
      model: { requests_last_minute: 12, tokens_last_hour: 40_000, tokens_last_day: 300_000 },
    },
    nowMs,
  });
}
