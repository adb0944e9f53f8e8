package entitlements_test

# The shipped entitlements: their shape (a typo in a field name would silently
# lift a restriction, since optional fields mean "not restricted") and one allow
# and one deny per workload. test/cases/*.yaml covers the workloads in depth,
# against the compiled bundle.

import data.modelgate

subjects := data.entitlements.subjects

optional_fields := {"description", "issuers", "providers", "purposes", "environments", "repositories", "approvers"}

known_fields := optional_fields | {field | some field, _ in modelgate.base_entitlement}

operations := {"chat", "completion", "embedding", "tool_call", "image", "audio", "other"}

list_of_strings(value) if {
	is_array(value)
	every item in value {
		is_string(item)
	}
}

# The workloads the tests below exercise are there; a subject a team adds (README, step 1) is checked by the
# shape tests, not counted.
shipped_workloads := {
	"spiffe://corp/ci/codegen-pipeline",
	"spiffe://corp/support/reply-bot",
	"spiffe://corp/agents/triage-workflow",
	"spiffe://corp/data/doc-summarizer",
	"spiffe://corp/dev/coding-assistant",
	"spiffe://corp/finance/invoice-assistant",
}

test_shipped_workloads_are_present if {
	every workload in shipped_workloads {
		subjects[workload]
	}
}

test_subjects_use_known_fields_only if {
	every entitlement in subjects {
		every field, _ in entitlement {
			field in known_fields
		}
	}
}

test_subjects_allow_some_model_and_operation if {
	every entitlement in subjects {
		list_of_strings(entitlement.models)
		count(entitlement.models) > 0
		every operation in entitlement.operations {
			operation in operations
		}
	}
}

test_lists_hold_strings if {
	every entitlement in subjects {
		every field in {"required_scopes", "issuers", "providers", "purposes", "environments", "repositories"} {
			list_of_strings(object.get(entitlement, field, []))
		}
	}
}

test_finding_classes_are_known if {
	known := {class | some group, classes in modelgate.finding_groups; some class in classes} | {group | some group, _ in modelgate.finding_groups}
	every entitlement in subjects {
		every name in array.concat(object.get(entitlement, "redact", []), object.get(entitlement, "deny_findings", [])) {
			name in known
		}
	}
}

test_tool_grants_are_well_formed if {
	every entitlement in subjects {
		every grant in object.get(entitlement, "tools", {}) {
			grant.access in {"read", "write"}
			list_of_strings(grant.agents)
			is_boolean(object.get(grant, "approval_required", false))
			is_string(object.get(grant, "approval_reason", ""))
		}
	}
}

test_model_approvals_have_reasons if {
	every entitlement in subjects {
		every why in object.get(entitlement, "model_approvals", {}) {
			is_string(why)
		}
	}
}

test_limits_are_known_positive_numbers if {
	every entitlement in subjects {
		every name, value in object.get(entitlement, "limits", {}) {
			name in {"max_tokens_per_call", "daily_tokens", "requests_per_minute"}
			is_number(value)
			value > 0
		}
	}
}

# One allow and one deny per workload, against the shipped data.

base_input(id, scope) := {
	"subject": {"id": id, "issuer": "https://idp.corp", "scopes": [scope], "claims": {}, "actor": null},
	"invocation": {"model": "anthropic.claude-sonnet", "provider": "bedrock", "operation": "chat", "max_tokens": 1024},
	"context": {},
	"payload": {"present": true, "chars": 100, "findings": {}},
	"usage": {"requests_last_minute": 0, "tokens_last_hour": 0, "tokens_last_day": 0},
}

decide(id, scope, patch) := d if {
	d := modelgate.decision with input as object.union(base_input(id, scope), patch)
}

codes(d) := {r.code | some r in d.reasons}

codegen := "spiffe://corp/ci/codegen-pipeline"

test_codegen_runs_from_an_approved_repository_and_environment if {
	decide(codegen, "invoke:codegen", {"subject": {"claims": {"repository": "corp/webapp", "environment": "ci"}}}).allow
}

test_codegen_is_denied_elsewhere if {
	d := decide(codegen, "invoke:codegen", {"subject": {"claims": {"repository": "corp/payments", "environment": "prod"}}})
	codes(d) == {"repository_not_allowed", "environment_not_allowed"}
}

support := "spiffe://corp/support/reply-bot"

test_support_bot_gets_personal_data_redacted if {
	d := decide(support, "invoke:support", {"invocation": {"purpose": "support-reply"}, "payload": {"findings": {"email": 1}}})
	d.allow
	{"type": "redact", "classes": ["email"]} in d.obligations
}

test_support_bot_may_not_send_secrets if {
	d := decide(support, "invoke:support", {"invocation": {"purpose": "support-reply"}, "payload": {"findings": {"stripe_key": 1}}})
	codes(d) == {"secret_detected"}
}

triage := "spiffe://corp/agents/triage-workflow"

test_triage_agent_opens_tickets if {
	d := decide(triage, "invoke:agents", {
		"subject": {"actor": {"sub": "agent:triage"}},
		"invocation": {"operation": "tool_call", "purpose": "ticket-triage", "tools": [{"name": "tickets.create"}]},
	})
	d.allow
	d.obligations == []
}

test_reporter_agent_may_not_open_tickets if {
	d := decide(triage, "invoke:agents", {
		"subject": {"actor": {"sub": "agent:reporter"}},
		"invocation": {"operation": "tool_call", "purpose": "ticket-triage", "tools": [{"name": "tickets.create"}]},
	})
	codes(d) == {"actor_not_allowed"}
}

summarizer := "spiffe://corp/data/doc-summarizer"

test_summarizer_is_capped_to_the_call_cap if {
	d := decide(summarizer, "invoke:summarize", {"invocation": {"purpose": "document-summary", "max_tokens": 8000}})
	d.allow
	d.obligations == [{"type": "cap_tokens", "max_tokens": 4096}]
}

test_summarizer_is_rate_limited if {
	d := decide(summarizer, "invoke:summarize", {"invocation": {"purpose": "document-summary"}, "usage": {"requests_last_minute": 5}})
	codes(d) == {"rate_limited"}
}

assistant := "spiffe://corp/dev/coding-assistant"

test_coding_assistant_reads_repository_context if {
	d := decide(assistant, "invoke:assist", {
		"subject": {"actor": {"sub": "agent:coding-assistant"}},
		"invocation": {"operation": "tool_call", "tools": [{"name": "repo.read_file"}]},
		"context": {"environment": "dev", "repository": "corp/webapp"},
	})
	d.allow
	d.obligations == []
}

test_coding_assistant_never_touches_production if {
	d := decide(assistant, "invoke:assist", {"context": {"environment": "prod", "repository": "corp/webapp"}})
	codes(d) == {"environment_not_allowed"}
}

finance := "spiffe://corp/finance/invoice-assistant"

test_finance_payment_needs_an_approval if {
	d := decide(finance, "invoke:finance", {
		"subject": {"actor": {"sub": "agent:invoice-assistant"}},
		"invocation": {"operation": "tool_call", "purpose": "payment-preparation", "tools": [{"name": "payments.initiate"}]},
	})
	d.allow
	d.obligations == [{
		"type": "require_approval", "reason": "initiating a payment needs a human approval",
		"approvers": "payments-approvers",
	}]
}

test_finance_may_not_send_social_security_numbers if {
	d := decide(finance, "invoke:finance", {"invocation": {"purpose": "invoice-summary"}, "payload": {"findings": {"us_ssn": 1}}})
	codes(d) == {"pii_detected"}
}
