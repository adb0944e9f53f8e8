package modelgate_test

import data.modelgate

test_decision_is_a_deny_for_an_empty_input if {
	denied_with(decide_raw({}), {"unknown_subject"})
}

test_decision_is_a_deny_without_any_input if {
	d := modelgate.decision with data.entitlements as entitlements
	denied_with(d, {"unknown_subject"})
}

test_decision_is_a_deny_for_inputs_that_are_not_objects if {
	every doc in [null, "subject", 42, [allowed_input]] {
		denied_with(decide_raw(doc), {"unknown_subject"})
	}
}

test_decision_is_a_deny_when_data_has_no_entitlements if {
	d := evaluate({}, allowed_input)
	denied_with(d, {"unknown_subject"})
}

test_decision_collects_every_deny_reason if {
	d := decide({
		"invocation": {"model": "other.model", "operation": "image", "purpose": "fun"},
		"payload": {"findings": {"github_token": 1}},
		"usage": {"requests_last_minute": 5},
	})
	denied_with(d, {
		"model_not_allowed", "operation_not_allowed", "purpose_not_allowed",
		"secret_detected", "rate_limited",
	})
}

test_decision_reasons_have_a_code_and_a_message if {
	d := decide({"invocation": {"model": "other.model", "operation": 7}})
	count(d.reasons) == 2
	every r in d.reasons {
		is_string(r.code)
		is_string(r.message)
	}
}

test_decision_on_a_deny_carries_no_obligations_or_advice if {
	# Would be redact + cap_tokens + budget_low if it were allowed.
	patch := {
		"invocation": {"max_tokens": null},
		"payload": {"findings": {"email": 1}},
		"usage": {"tokens_last_day": 8500},
	}
	allowed := decide(patch)
	allowed.allow == true
	count(allowed.obligations) == 2
	count(allowed.reasons) == 1

	denied_with(decide(object.union(patch, {"invocation": {"model": "other.model"}})), {"model_not_allowed"})
}

test_decision_lists_reasons_and_obligations_in_a_stable_order if {
	d := decide({
		"invocation": {"model": "vendor.model-large", "max_tokens": 5000, "tools": [{"name": "kb.write"}]},
		"subject": {"actor": {"sub": "agent:a"}},
		"payload": {"findings": {"phone": 1}},
	})

	# sort() orders objects by their keys first, then by their values.
	d == {"allow": true, "reasons": [], "obligations": [
		{"type": "redact", "classes": ["phone"]},
		{"type": "cap_tokens", "max_tokens": 1000},
		{"type": "require_approval", "reason": "the large model costs more"},
		{"type": "require_approval", "reason": "tool kb.write needs a human approval"},
	]}
}
