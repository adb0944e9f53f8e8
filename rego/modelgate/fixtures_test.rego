package modelgate_test

# Fixtures for the unit tests: one synthetic subject with every entitlement field
# set, and an input it may send without any reason or obligation. Each test patches
# the input (object.union merges recursively) so that it changes one thing only.
# The shipped entitlements are tested in rego/entitlements/entitlements_test.rego.

import data.modelgate

subject := "spiffe://test/subject"

entitlements := {"subjects": {subject: {
	"required_scopes": ["invoke:test"],
	"models": ["vendor.model-*"],
	"providers": ["cloud"],
	"operations": ["chat", "tool_call"],
	"purposes": ["testing"],
	"environments": ["dev", "preview-*"],
	"repositories": ["corp/*"],
	"tools": {
		"kb.read": {"access": "read", "agents": ["agent:a", "agent:b"]},
		"kb.write": {"access": "write", "agents": ["agent:a"]},
		"kb.reindex": {"access": "write", "agents": ["agent:a"], "approval_required": false},
		"kb.export": {
			"access": "read", "agents": ["agent:a"],
			"approval_required": true, "approval_reason": "exports leave the company",
		},
	},
	"model_approvals": {"vendor.model-large": "the large model costs more"},
	"redact": ["pii"],
	"deny_findings": ["secrets", "us_ssn"],
	"limits": {"max_tokens_per_call": 1000, "daily_tokens": 10000, "requests_per_minute": 5},
}}}

allowed_input := {
	"subject": {
		"id": subject, "issuer": "https://idp.test", "audience": ["modelgate"],
		"scopes": ["invoke:test"], "claims": {}, "actor": null,
	},
	"invocation": {
		"model": "vendor.model-small", "provider": "cloud", "operation": "chat",
		"max_tokens": 500, "input_tokens": 100, "purpose": "testing",
	},
	"context": {"environment": "dev", "repository": "corp/app", "approval_id": null},
	"payload": {"present": true, "chars": 10, "findings": {}},
	"usage": {"requests_last_minute": 0, "tokens_last_hour": 0, "tokens_last_day": 0},
	"time": {"now": "2026-11-22T10:00:00Z", "unix_ms": 1795341600000},
}

# evaluate is the decision for this input under these entitlements.
evaluate(ents, doc) := d if {
	d := modelgate.decision with input as doc with data.entitlements as ents
}

# decide is the decision for allowed_input with patch merged in.
decide(patch) := evaluate(entitlements, object.union(allowed_input, patch))

# decide_raw is the decision for exactly this input.
decide_raw(doc) := evaluate(entitlements, doc)

# entitled is the entitlements with these fields of the test subject replaced.
entitled(fields) := {"subjects": {subject: object.union(
	object.remove(entitlements.subjects[subject], object.keys(fields)),
	fields,
)}}

# codes is the set of reason codes of a decision.
codes(decision) := {r.code | some r in decision.reasons}

# denied_with holds when the decision is a deny for exactly these reason codes.
denied_with(decision, expected) if {
	decision.allow == false
	codes(decision) == expected
	decision.obligations == []
}

# message_of is the message of the reason with this code.
message_of(decision, code) := r.message if {
	some r in decision.reasons
	r.code == code
}

# allowed_with holds when the decision is an allow with exactly these obligations
# and no reasons.
allowed_with(decision, obligations) if {
	decision.allow == true
	decision.reasons == []
	{o | some o in decision.obligations} == obligations
}

test_fixture_input_is_allowed_without_reasons_or_obligations if {
	allowed_with(decide({}), set())
}
