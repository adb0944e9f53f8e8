package modelgate

# What is called: model, provider, operation and purpose, each against the subject's
# allowlist. Model and provider names are globs with "." as the delimiter, so that
# "anthropic.*" matches "anthropic.claude-sonnet" but not "anthropic.eu.claude-sonnet".

deny contains reason("model_not_allowed", concat("", ["model ", text(model), " is not entitled for this subject"])) if {
	patterns := entitlement.models
	not matches_any(patterns, ["."], model)
}

# Optional: a subject without a providers list may reach its models through any
# provider. With one, a call that does not name its provider is denied.
deny contains reason("provider_not_allowed", concat("", ["provider ", text(provider), " is not entitled for this subject"])) if {
	patterns := entitlement.providers
	not matches_any(patterns, ["."], provider)
}

deny contains reason("operation_not_allowed", concat("", ["operation ", text(operation), " is not entitled for this subject"])) if {
	operations := entitlement.operations
	not operation in operations
}

# Optional: with a purposes list, a call must state one of them.
deny contains reason("purpose_not_allowed", concat("", ["purpose ", text(purpose), " is not entitled for this subject"])) if {
	purposes := entitlement.purposes
	not purpose in purposes
}

# Some models are allowed only with a human approval (cost, data residency...):
# model_approvals maps a model glob to the reason shown to the approver.
obligations contains approval(why) if {
	some pattern, why in entitlement.model_approvals
	matches_any([pattern], ["."], model)
}
