package modelgate

# A normalised view of the input document (DESIGN.md, "Policy input document (v1)").
#
# modelgate always builds the whole document, but the decision must stay defined,
# and fail closed, for any input. Every field that an allowlist check negates
# (`not operation in operations`) has a default here that no allowlist matches:
# `not f(x)` is undefined, not true, when x itself is undefined, so reading the
# raw input path would silently skip the check when the field is missing.

default subject_id := null

subject_id := input.subject.id

default subject_issuer := null

subject_issuer := input.subject.issuer

# The scopes granted by the token (`scope` or `scp` claim, as a list).
subject_scopes contains scope if some scope in input.subject.scopes

# The RFC 8693 actor: the agent acting for the subject (the token's `act` claim).
default actor := null

actor := input.subject.actor.sub

default model := null

model := input.invocation.model

default provider := null

provider := input.invocation.provider

default operation := null

operation := input.invocation.operation

default purpose := null

purpose := input.invocation.purpose

# The tools the call asks for, by name.
requested_tools contains tool_name(tool) if some tool in input.invocation.tools

# A tools field that is not a list cannot be read tool by tool: it counts as a tool
# named null, so that the call is denied instead of passing as one without tools.
requested_tools contains null if {
	tools := input.invocation.tools
	tools != null
	not is_array(tools)
}

# tool_name is the name of one requested tool; a malformed entry is a tool named
# null, which no grant matches, so it cannot slip through unchecked.
tool_name(tool) := name if {
	name := tool.name
} else := null

# Finding classes present in the payload: counts above zero.
found_classes contains class if {
	some class, n in input.payload.findings
	n > 0
}

# placement is where the call runs (field is "environment" or "repository"). A
# verified token claim wins (GitHub Actions OIDC tokens carry both, GitLab CI
# tokens carry `environment`); the caller's free-form context is used only when
# the token says nothing.
placement(field) := value if {
	value := input.subject.claims[field]
} else := value if {
	value := input.context[field]
} else := null
