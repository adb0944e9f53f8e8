package modelgate_test

import data.modelgate

# The large model needs an approval (fixtures_test.rego); these tests present one.
needs_approval := {"invocation": {"model": "vendor.model-large"}}

large_model_approval := {"type": "require_approval", "reason": "the large model costs more"}

presenting(status, uses_left) := object.union(needs_approval, {"approval": {
	"id": "0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f", "status": status,
	"approved_by": "alice", "approved_at": "2026-11-22T09:59:00Z", "uses_left": uses_left,
}})

test_without_an_approval_the_obligation_stays if {
	allowed_with(decide(needs_approval), {large_model_approval})
}

test_a_granted_approval_satisfies_require_approval if {
	allowed_with(decide(presenting("approved", 1)), set())
}

test_a_granted_approval_keeps_redaction_and_caps if {
	d := decide(object.union(presenting("approved", 1), {"invocation": {"max_tokens": 5000}, "payload": {"findings": {"email": 1}}}))
	allowed_with(d, {{"type": "redact", "classes": ["email"]}, {"type": "cap_tokens", "max_tokens": 1000}})
}

test_an_approval_with_no_uses_left_does_not_satisfy if {
	allowed_with(decide(presenting("approved", 0)), {large_model_approval})
}

test_a_pending_approval_still_needs_the_approval if {
	allowed_with(decide(presenting("pending", 1)), {large_model_approval})
}

test_unusable_approvals_are_denied_with_their_reason if {
	denied_with(decide(presenting("denied", 0)), {"approval_denied"})
	denied_with(decide(presenting("expired", 1)), {"approval_expired"})
	denied_with(decide(presenting("used_up", 0)), {"approval_used_up"})
}

test_the_entitlement_names_the_approvers if {
	e := entitled({"approvers": "model-owners"})
	d := evaluate(e, object.union(allowed_input, needs_approval))
	allowed_with(d, {object.union(large_model_approval, {"approvers": "model-owners"})})
}

test_approvers_that_are_not_a_name_are_ignored if {
	e := entitled({"approvers": ["model-owners"]})
	allowed_with(evaluate(e, object.union(allowed_input, needs_approval)), {large_model_approval})
}

# The approve entrypoint.

approve_input := {
	"action": "approve",
	"approver": {"id": "alice", "issuer": "https://idp.test", "scopes": ["modelgate:approve"], "claims": {"groups": ["model-owners"]}},
	"request": {
		"id": "0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f",
		"requester": {"subject": subject, "issuer": "https://idp.test", "actor": "agent:a"},
		"approvers": "model-owners",
	},
}

approve_with(patch) := d if {
	d := modelgate.approve with input as object.union(approve_input, patch)
}

approve_codes(patch) := {r.code | some r in approve_with(patch).reasons}

test_a_member_of_the_approvers_group_may_approve if {
	approve_with({}) == {"allow": true, "reasons": []}
}

test_roles_count_like_groups if {
	approve_with({"approver": {"claims": {"groups": null, "roles": ["model-owners"]}}}).allow
}

test_an_approval_without_approvers_may_be_decided_by_any_approver if {
	approve_with({"approver": {"claims": {}}, "request": {"approvers": null}}).allow
}

test_others_may_not_approve if {
	d := approve_with({"approver": {"claims": {"groups": "model-owners"}}})
	d.allow == false
	d.reasons == [{"code": "not_an_approver", "message": "only members of model-owners may decide this request"}]
}

test_nobody_approves_their_own_request if {
	approve_codes({"approver": {"id": subject}}) == {"self_approval"}
	approve_codes({"approver": {"id": "agent:a"}}) == {"self_approval"}
}

test_an_approver_without_an_id_may_not_approve if {
	approve_codes({"approver": {"id": null}}) == {"approver_missing"}
}
