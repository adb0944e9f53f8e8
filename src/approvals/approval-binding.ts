import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json';
import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import type { Approval, Requester } from './approval';

/** What an approval is bound to: who asks, for which invocation, with which payload. */
export interface ApprovalBinding {
  /** sha256 over the other fields: the key that finds the pending approval of a request. */
  key: string;
  requester: Requester;
  invocation: Approval['invocation'];
}

/**
 * Returns the binding of a request: the requester (subject, issuer, actor), the invocation's model,
 * provider, operation, tools and purpose, the SHA-256 of the payload and that of the context, each in
 * canonical JSON. The context is bound because the policy decides on it (environment, repository, the
 * parent decision): a grant for staging must not be spent on another environment or repository. Token
 * limits are left out on purpose: caps still apply on every use, and a caller that asks for fewer
 * tokens is asking for the same thing.
 */
export function bindingOf(requester: Requester, request: DecideRequestV1): ApprovalBinding {
  const { model, provider, operation, purpose } = request.invocation;
  const invocation: Approval['invocation'] = {
    model,
    provider,
    operation,
    purpose,
    tools: [...new Set((request.invocation.tools ?? []).map((t) => t.name))].sort(),
  };
  const payloadHash = sha256(canonicalJson(request.payload ?? null));
  const contextHash = sha256(canonicalJson(request.context ?? {}));
  const key = sha256(canonicalJson({ requester, invocation, payload: payloadHash, context: contextHash }));
  return { key, requester, invocation };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
