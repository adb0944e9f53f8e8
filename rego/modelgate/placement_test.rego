package modelgate_test

test_environment_from_context_in_the_list_is_allowed if {
	allowed_with(decide({"context": {"environment": "preview-42"}}), set())
}

test_environment_from_context_not_in_the_list_is_denied if {
	d := decide({"context": {"environment": "prod"}})
	denied_with(d, {"environment_not_allowed"})
	message_of(d, "environment_not_allowed") == "environment prod is not entitled for this subject"
}

test_environment_missing_is_denied_when_environments_are_listed if {
	d := decide_raw(json.remove(allowed_input, ["context/environment"]))
	denied_with(d, {"environment_not_allowed"})
}

test_environment_claim_wins_over_an_absent_context if {
	doc := json.remove(object.union(allowed_input, {"subject": {"claims": {"environment": "dev"}}}), ["context/environment"])
	allowed_with(decide_raw(doc), set())
}

test_environment_claim_not_in_the_list_is_denied if {
	doc := json.remove(object.union(allowed_input, {"subject": {"claims": {"environment": "prod"}}}), ["context/environment"])
	denied_with(decide_raw(doc), {"environment_not_allowed"})
}

test_context_disagreeing_with_a_claim_is_denied if {
	d := decide({"subject": {"claims": {"environment": "dev"}}, "context": {"environment": "prod"}})
	denied_with(d, {"context_mismatch"})
	message_of(d, "context_mismatch") == "context.environment is prod but the token says dev"
}

test_context_agreeing_with_a_claim_is_allowed if {
	allowed_with(decide({"subject": {"claims": {"environment": "dev", "repository": "corp/app"}}}), set())
}

test_context_null_is_not_a_disagreement if {
	d := decide({"subject": {"claims": {"repository": "corp/app"}}, "context": {"repository": null}})
	allowed_with(d, set())
}

test_repository_outside_the_globs_is_denied if {
	d := decide({"context": {"repository": "evil/app"}})
	denied_with(d, {"repository_not_allowed"})
	message_of(d, "repository_not_allowed") == "repository evil/app is not entitled for this subject"
}

test_repository_glob_does_not_cross_a_slash if {
	denied_with(decide({"context": {"repository": "corp/app/sub"}}), {"repository_not_allowed"})
	allowed_with(decide({"context": {"repository": "corp/web.app"}}), set())
}

test_repository_claim_outside_the_globs_is_denied_even_when_context_agrees if {
	d := decide({"subject": {"claims": {"repository": "evil/app"}}, "context": {"repository": "evil/app"}})
	denied_with(d, {"repository_not_allowed"})
}

test_repository_missing_is_denied_when_repositories_are_listed if {
	d := decide_raw(json.remove(allowed_input, ["context/repository"]))
	denied_with(d, {"repository_not_allowed"})
	message_of(d, "repository_not_allowed") == "repository null is not entitled for this subject"
}
