package modelgate_test

acting(sub) := {"subject": {"actor": {"sub": sub}}}

calling(names) := {"invocation": {"operation": "tool_call", "tools": [{"name": n} | some n in names]}}

test_tool_granted_to_the_subject_and_the_agent_is_allowed if {
	allowed_with(decide(object.union(acting("agent:b"), calling(["kb.read"]))), set())
}

test_tool_not_granted_to_the_subject_is_denied if {
	d := decide(object.union(acting("agent:a"), calling(["kb.read", "kb.delete"])))
	denied_with(d, {"tool_not_allowed"})
	message_of(d, "tool_not_allowed") == "tool kb.delete is not granted to this subject"
}

test_tool_entry_without_a_name_is_denied if {
	d := decide({"subject": {"actor": {"sub": "agent:a"}}, "invocation": {"tools": ["kb.read", {"title": "kb.read"}]}})
	denied_with(d, {"tool_not_allowed"})
	message_of(d, "tool_not_allowed") == "tool null is not granted to this subject"
}

test_tools_that_are_not_a_list_are_denied if {
	every tools in ["kb.read", {"name": "kb.read"}] {
		d := decide({"subject": {"actor": {"sub": "agent:a"}}, "invocation": {"tools": tools}})
		denied_with(d, {"tool_not_allowed"})
	}
	allowed_with(decide({"invocation": {"tools": null}}), set())
}

test_tool_call_without_an_actor_is_denied if {
	every patch in [{}, {"subject": {"actor": {}}}, {"subject": {"actor": {"sub": 7}}}] {
		d := decide(object.union(calling(["kb.read"]), patch))
		denied_with(d, {"actor_required"})
	}
	denied_with(decide_raw(json.remove(object.union(allowed_input, calling(["kb.read"])), ["subject/actor"])), {"actor_required"})
}

test_tool_call_without_an_actor_lists_every_reason if {
	denied_with(decide(calling(["kb.read", "kb.delete"])), {"actor_required", "tool_not_allowed"})
}

test_tool_not_granted_to_the_agent_is_denied if {
	d := decide(object.union(acting("agent:b"), calling(["kb.read", "kb.write"])))
	denied_with(d, {"actor_not_allowed"})
	message_of(d, "actor_not_allowed") == "tool kb.write is not granted to agent agent:b"
}

test_tool_grant_without_agents_is_granted_to_no_agent if {
	e := entitled({"tools": {"kb.read": {"access": "read"}}})
	d := evaluate(e, object.union(allowed_input, object.union(acting("agent:a"), calling(["kb.read"]))))
	denied_with(d, {"actor_not_allowed"})
}

test_write_tool_needs_an_approval_by_default if {
	d := decide(object.union(acting("agent:a"), calling(["kb.write"])))
	allowed_with(d, {{"type": "require_approval", "reason": "tool kb.write needs a human approval"}})
}

test_write_tool_approval_is_not_skipped_for_a_caller_approval_id if {
	d := decide(object.union(acting("agent:a"), object.union(calling(["kb.write"]), {"context": {"approval_id": "apr-1"}})))
	allowed_with(d, {{"type": "require_approval", "reason": "tool kb.write needs a human approval"}})
}

test_write_tool_approval_can_be_waived_by_the_grant if {
	allowed_with(decide(object.union(acting("agent:a"), calling(["kb.reindex"]))), set())
}

test_read_tool_approval_can_be_asked_for_by_the_grant if {
	d := decide(object.union(acting("agent:a"), calling(["kb.export"])))
	allowed_with(d, {{"type": "require_approval", "reason": "exports leave the company"}})
}

test_tool_grant_without_access_counts_as_write if {
	e := entitled({"tools": {"kb.read": {"agents": ["agent:a"]}}})
	d := evaluate(e, object.union(allowed_input, object.union(acting("agent:a"), calling(["kb.read"]))))
	allowed_with(d, {{"type": "require_approval", "reason": "tool kb.read needs a human approval"}})
}

test_tools_each_get_their_own_approval if {
	d := decide(object.union(acting("agent:a"), calling(["kb.read", "kb.write", "kb.export", "kb.reindex"])))
	allowed_with(d, {
		{"type": "require_approval", "reason": "tool kb.write needs a human approval"},
		{"type": "require_approval", "reason": "exports leave the company"},
	})
}
