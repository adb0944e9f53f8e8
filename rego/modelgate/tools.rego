package modelgate

# Agentic tool calls. entitlement.tools maps a tool name to its grant:
#   access             "read" or "write" (anything but "read" counts as write)
#   agents             the acting agents (subject.actor.sub) the tool is granted to
#   approval_required  optional; defaults to true for write tools, false for read tools
#   approval_reason    optional; what the approver is told
# A tool needs a grant to the subject AND to the agent acting for it: a token for
# the workflow does not let any model it runs call any of its tools.

deny contains reason("tool_not_allowed", concat("", ["tool ", text(name), " is not granted to this subject"])) if {
	grants := entitlement.tools
	some name in requested_tools
	not grants[name]
}

deny contains reason("actor_required", "tool calls need an acting agent (the token's act claim)") if {
	entitlement
	count(requested_tools) > 0
	not is_string(actor)
}

deny contains reason("actor_not_allowed", concat("", ["tool ", name, " is not granted to agent ", actor])) if {
	is_string(actor)
	some name in requested_tools
	grant := entitlement.tools[name]
	not actor in object.get(grant, "agents", [])
}

obligations contains approval(tool_approval_reason(name, grant)) if {
	some name in requested_tools
	grant := entitlement.tools[name]
	tool_needs_approval(grant)
}

# Changing the world (write) needs a human by default; a grant may waive it, or ask
# for it on a read tool.
tool_needs_approval(grant) if grant.approval_required == true

tool_needs_approval(grant) if {
	not is_boolean(object.get(grant, "approval_required", null))
	object.get(grant, "access", "write") != "read"
}

tool_approval_reason(name, grant) := object.get(
	grant, "approval_reason",
	concat("", ["tool ", name, " needs a human approval"]),
)
