package modelgate

# Where the call runs: environment and repository bindings, for CI identities above
# all. See placement() in inputs.rego for where the values come from.

bound_fields := ["environment", "repository"]

# A caller that states a different environment or repository than its verified token
# is either misconfigured or lying; neither gets an answer based on the context.
deny contains reason("context_mismatch", concat("", ["context.", field, " is ", text(stated), " but the token says ", text(claimed)])) if {
	some field in bound_fields
	claimed := input.subject.claims[field]
	stated := input.context[field]
	stated != null
	claimed != stated
}

# Optional: with an environments list, the call must run in one of them (globs).
deny contains reason("environment_not_allowed", concat("", ["environment ", text(environment), " is not entitled for this subject"])) if {
	patterns := entitlement.environments
	environment := placement("environment")
	not matches_any(patterns, ["."], environment)
}

# Optional: with a repositories list, the call must come from one of them. Globs
# use "/" as the delimiter: "corp/*" matches "corp/web.app" but not "corp/a/b".
deny contains reason("repository_not_allowed", concat("", ["repository ", text(repository), " is not entitled for this subject"])) if {
	patterns := entitlement.repositories
	repository := placement("repository")
	not matches_any(patterns, ["/"], repository)
}
