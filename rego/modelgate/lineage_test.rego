package modelgate_test

# The synthetic subject with a delegation depth cap of 2.
capped := {"subjects": {subject: object.union(
	entitlements.subjects[subject],
	{"limits": {"max_chain_depth": 2}},
)}}

chained(depth) := object.union(allowed_input, {"lineage": {"depth": depth}})

test_a_chain_up_to_the_cap_is_allowed if {
	allowed_with(evaluate(capped, chained(2)), set())
}

test_a_chain_deeper_than_the_cap_is_denied if {
	d := evaluate(capped, chained(3))
	denied_with(d, {"chain_too_deep"})
	message_of(d, "chain_too_deep") == "at most 2 calls may follow the first call of a chain"
}

test_without_a_cap_depth_is_not_limited if {
	allowed_with(evaluate(entitlements, chained(50)), set())
}

test_a_call_without_lineage_is_not_limited_by_the_cap if {
	allowed_with(evaluate(capped, allowed_input), set())
}
