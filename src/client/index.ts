/**
 * modelgate's caller SDK (`modelgate/client`): ask modelgate before a model call, report usage after,
 * and a guard around the official `openai` client that does both and fails closed.
 */
export {
  ModelgateClient,
  type Decision,
  type DecideRequest,
  type ModelgateClientOptions,
  type TokenSupplier,
  type UsageReport,
} from './modelgate-client';
export type { DpopAlgorithm, DpopKey } from './dpop-signer';
export {
  ModelgateClientError,
  ModelgateDenied,
  ModelgateUnavailable,
  type DecisionReason,
  type PendingApproval,
} from './client-errors';
export {
  guardOpenAI,
  type GuardOptions,
  type GuardedOpenAI,
  type GuardedRequestOptions,
  type ModelgateCallOptions,
} from './guard-openai';
