package modelgate

# Delegation depth, from decision lineage (input.lineage, present when a request names
# context.parent_decision_id, a session or a trace). With limits.max_chain_depth, a call
# more than that many hops below the decision that started its chain is denied: depth 1
# is a tool call proposed by a prompt's answer, depth 2 a call proposed by that tool's
# result, and so on. A call without lineage has depth 0.
deny contains reason("chain_too_deep", concat("", ["at most ", format_int(limit, 10), " calls may follow the first call of a chain"])) if {
	limit := limits.max_chain_depth
	input.lineage.depth > limit
}
