package modelgate_test

test_requests_below_the_limit_are_allowed if {
	allowed_with(decide({"usage": {"requests_last_minute": 4}}), set())
}

test_requests_at_the_limit_are_rate_limited if {
	d := decide({"usage": {"requests_last_minute": 5}})
	denied_with(d, {"rate_limited"})
	message_of(d, "rate_limited") == "at most 5 requests per minute"
}

test_missing_usage_is_a_deny_when_limits_are_set if {
	d := decide_raw(json.remove(allowed_input, ["usage"]))
	denied_with(d, {"usage_unavailable"})
	count(d.reasons) == 2
}

test_malformed_usage_counter_is_a_deny if {
	d := decide({"usage": {"tokens_last_day": "lots"}})
	"usage_unavailable" in codes(d)
	message_of(d, "usage_unavailable") == "usage.tokens_last_day is missing, so daily_tokens cannot be enforced"
}

test_missing_usage_is_fine_without_limits if {
	e := {"subjects": {subject: object.remove(entitlements.subjects[subject], ["limits"])}}
	d := evaluate(e, json.remove(allowed_input, ["usage", "invocation/max_tokens"]))
	allowed_with(d, set())
}

test_budget_used_up_is_denied if {
	d := decide({"usage": {"tokens_last_day": 10000}})
	denied_with(d, {"budget_exhausted"})
	message_of(d, "budget_exhausted") == "the daily budget of 10000 tokens is used up"
}

test_budget_counts_this_prompt if {
	denied_with(decide({"usage": {"tokens_last_day": 9000}, "invocation": {"input_tokens": 1000}}), {"budget_exhausted"})
}

# A caller that declares no input_tokens, or fewer than its payload holds, still spends a
# token for every four characters it sends.
test_budget_counts_an_undeclared_prompt_by_its_size if {
	denied_with(decide({"usage": {"tokens_last_day": 9000}, "payload": {"chars": 4000}}), {"budget_exhausted"})
	denied_with(
		decide({"usage": {"tokens_last_day": 9000}, "invocation": {"input_tokens": 10}, "payload": {"chars": 4000}}),
		{"budget_exhausted"},
	)
	decide({"usage": {"tokens_last_day": 9000}, "payload": {"chars": 3996}}).allow == true
}

test_budget_of_zero_denies_everything if {
	denied_with(evaluate(entitled({"limits": {"daily_tokens": 0}}), allowed_input), {"budget_exhausted"})
}

test_budget_low_is_advice_from_80_percent if {
	d := decide({"usage": {"tokens_last_day": 7900}, "invocation": {"max_tokens": 100}})
	d.allow == true
	d.reasons == [{"code": "budget_low", "message": "80% of the daily token budget used"}]
	allowed_with(decide({"usage": {"tokens_last_day": 7800}, "invocation": {"max_tokens": 100}}), set())
}

test_malformed_input_tokens_count_as_zero if {
	allowed_with(decide({"usage": {"tokens_last_day": 7850}, "invocation": {"input_tokens": "many", "max_tokens": 100}}), set())
}

test_max_tokens_above_the_per_call_cap_is_capped if {
	allowed_with(decide({"invocation": {"max_tokens": 4096}}), {{"type": "cap_tokens", "max_tokens": 1000}})
}

test_max_tokens_missing_is_capped if {
	doc := json.remove(allowed_input, ["invocation/max_tokens"])
	allowed_with(decide_raw(doc), {{"type": "cap_tokens", "max_tokens": 1000}})
	allowed_with(decide({"invocation": {"max_tokens": "all"}}), {{"type": "cap_tokens", "max_tokens": 1000}})
}

test_max_tokens_above_the_remaining_budget_is_capped_to_it if {
	d := decide({"usage": {"tokens_last_day": 9500}, "invocation": {"input_tokens": 200}})
	d.allow == true
	{o | some o in d.obligations} == {{"type": "cap_tokens", "max_tokens": 300}}
	codes(d) == {"budget_low"}
}

test_max_tokens_is_not_capped_without_token_limits if {
	e := entitled({"limits": {"requests_per_minute": 5}})
	allowed_with(evaluate(e, object.union(allowed_input, {"invocation": {"max_tokens": 100000}})), set())
}
