package modelgate_test

test_unknown_subject_is_denied_and_named if {
	d := decide({"subject": {"id": "spiffe://test/stranger"}})
	denied_with(d, {"unknown_subject"})
	message_of(d, "unknown_subject") == "no entitlements for subject spiffe://test/stranger"
}

test_unknown_subject_is_denied_when_the_id_is_not_a_string if {
	d := decide({"subject": {"id": ["spiffe://test/subject"]}})
	denied_with(d, {"unknown_subject"})
	message_of(d, "unknown_subject") == `no entitlements for subject ["spiffe://test/subject"]`
}

test_entitlement_leaving_fields_out_allows_nothing if {
	d := evaluate({"subjects": {subject: {}}}, allowed_input)
	denied_with(d, {"model_not_allowed", "operation_not_allowed"})
}

test_entitlement_leaving_fields_out_denies_secrets if {
	e := {"subjects": {subject: {"models": ["vendor.*"], "operations": ["chat"]}}}
	allowed_with(evaluate(e, allowed_input), set())
	doc := object.union(allowed_input, {"payload": {"findings": {"private_key": 1}}})
	denied_with(evaluate(e, doc), {"secret_detected"})
}

issuer_bound := entitled({"issuers": ["https://idp.test"]})

test_issuer_named_by_the_entitlement_is_allowed if {
	allowed_with(evaluate(issuer_bound, allowed_input), set())
}

test_issuer_not_named_by_the_entitlement_is_denied if {
	d := evaluate(issuer_bound, object.union(allowed_input, {"subject": {"issuer": "https://other.idp"}}))
	denied_with(d, {"issuer_not_allowed"})
	message_of(d, "issuer_not_allowed") == "issuer https://other.idp is not trusted for this subject"
}

test_issuer_missing_is_denied_when_the_entitlement_names_issuers if {
	doc := json.remove(allowed_input, ["subject/issuer"])
	denied_with(evaluate(issuer_bound, doc), {"issuer_not_allowed"})
}

test_issuer_is_not_checked_when_the_entitlement_names_none if {
	allowed_with(decide({"subject": {"issuer": "https://other.idp"}}), set())
}

test_scope_missing_is_denied if {
	d := decide({"subject": {"scopes": ["invoke:other"]}})
	denied_with(d, {"scope_missing"})
	message_of(d, "scope_missing") == "the token lacks scope invoke:test"
}

test_scope_missing_when_scopes_are_absent_or_malformed if {
	denied_with(decide_raw(json.remove(allowed_input, ["subject/scopes"])), {"scope_missing"})
	denied_with(decide({"subject": {"scopes": "invoke:test"}}), {"scope_missing"})
}

test_scope_extra_scopes_are_ignored if {
	allowed_with(decide({"subject": {"scopes": ["invoke:other", "invoke:test"]}}), set())
}
