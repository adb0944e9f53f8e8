import type { Approval } from './approval';

/** Announces new pending approvals (a webhook). Never blocks and never throws: delivery is best effort. */
export interface ApprovalNotifier {
  pending(approval: Approval): void;
  /** Stops retrying; resolves once nothing is in flight. */
  close(): Promise<void>;
}

/** The notifier when none is configured. */
export const silentNotifier: ApprovalNotifier = {
  pending: () => undefined,
  close: async () => undefined,
};
