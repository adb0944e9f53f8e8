package modelgate_test

test_model_matching_a_glob_is_allowed if {
	allowed_with(decide({"invocation": {"model": "vendor.model-medium"}}), set())
}

test_model_not_matching_is_denied if {
	d := decide({"invocation": {"model": "vendor.other"}})
	denied_with(d, {"model_not_allowed"})
	message_of(d, "model_not_allowed") == "model vendor.other is not entitled for this subject"
}

test_model_glob_does_not_cross_a_dot if {
	denied_with(decide({"invocation": {"model": "vendor.model-x.eu"}}), {"model_not_allowed"})
}

test_model_missing_or_malformed_is_denied if {
	denied_with(decide_raw(json.remove(allowed_input, ["invocation/model"])), {"model_not_allowed"})
	denied_with(decide({"invocation": {"model": 42}}), {"model_not_allowed"})
}

test_provider_not_listed_is_denied if {
	d := decide({"invocation": {"provider": "elsewhere"}})
	denied_with(d, {"provider_not_allowed"})
	message_of(d, "provider_not_allowed") == "provider elsewhere is not entitled for this subject"
}

test_provider_missing_is_denied_when_providers_are_listed if {
	denied_with(decide_raw(json.remove(allowed_input, ["invocation/provider"])), {"provider_not_allowed"})
}

unrestricted := {"subjects": {subject: {"models": ["vendor.*"], "operations": ["chat"]}}}

test_provider_purpose_and_placement_are_free_when_not_listed if {
	doc := json.remove(allowed_input, ["invocation/provider", "invocation/purpose", "context"])
	allowed_with(evaluate(unrestricted, doc), set())
	doc2 := object.union(allowed_input, {"invocation": {"provider": "any", "purpose": "any"}})
	allowed_with(evaluate(unrestricted, doc2), set())
}

test_operation_not_listed_is_denied if {
	d := decide({"invocation": {"operation": "embedding"}})
	denied_with(d, {"operation_not_allowed"})
	message_of(d, "operation_not_allowed") == "operation embedding is not entitled for this subject"
}

test_operation_missing_is_denied if {
	denied_with(decide_raw(json.remove(allowed_input, ["invocation/operation"])), {"operation_not_allowed"})
}

test_purpose_not_listed_is_denied if {
	d := decide({"invocation": {"purpose": "marketing"}})
	denied_with(d, {"purpose_not_allowed"})
	message_of(d, "purpose_not_allowed") == "purpose marketing is not entitled for this subject"
}

test_purpose_missing_is_denied_when_purposes_are_listed if {
	d := decide_raw(json.remove(allowed_input, ["invocation/purpose"]))
	denied_with(d, {"purpose_not_allowed"})
	message_of(d, "purpose_not_allowed") == "purpose null is not entitled for this subject"
}

test_model_approval_is_an_obligation_not_a_deny if {
	d := decide({"invocation": {"model": "vendor.model-large"}})
	allowed_with(d, {{"type": "require_approval", "reason": "the large model costs more"}})
}

test_model_approval_is_not_asked_for_other_models if {
	allowed_with(decide({"invocation": {"model": "vendor.model-largest"}}), set())
}
