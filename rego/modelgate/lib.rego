package modelgate

# Small helpers shared by the rule files. None of them reads input or data.

# reason builds one entry of the decision's reasons list.
reason(code, message) := {"code": code, "message": message}

# approval builds a require_approval obligation. modelgate turns it into a deny
# (approval_required) with a pending approval; the policy never looks at
# context.approval_id, which the caller controls, only at input.approval (approvals.rego).
approval(why) := {"type": "require_approval", "reason": why}

# text renders any JSON value for a message. Input fields may have any type, and a
# message that fails to render must never keep a deny rule from firing.
text(value) := value if {
	is_string(value)
} else := json.marshal(value)

# listing renders a set of strings as "a, b, c", sorted, for messages.
listing(values) := concat(", ", sort(values))

# matches_any holds when value is a string that matches one of the glob patterns.
# The is_string guard keeps glob.match from raising a type error on a malformed input.
# A pattern without glob syntax matches only itself, so it is compared with ==: OPA's
# WASM runtime compiles glob patterns to RE2 again in every evaluation, and most
# patterns in the entitlements are plain names.
matches_any(patterns, _, value) if {
	is_string(value)
	some pattern in patterns
	pattern == value
	not is_glob(pattern)
}

matches_any(patterns, delimiters, value) if {
	is_string(value)
	some pattern in patterns
	is_glob(pattern)
	glob.match(pattern, delimiters, value)
}

# is_glob holds when pattern has a glob metacharacter, or an escape, which makes
# glob.match differ from ==.
is_glob(pattern) if {
	some char in glob_metachars
	contains(pattern, char)
}

glob_metachars := {"*", "?", "[", "]", "{", "}", "\\", "!"}
