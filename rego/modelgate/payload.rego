package modelgate

# Sensitive data in the payload. The screening module reports counts per class
# (never the text); the subject's entitlement says which classes are redacted
# (an obligation modelgate enforces) and which deny the call. Entitlements name
# classes or whole groups ("secrets", "pii").

# The classes the screening module emits (DESIGN.md), by group. This vocabulary is
# part of the policy, not of the entitlements: replacing the data cannot make
# "secrets" mean nothing.
finding_groups := {
	"secrets": {
		"aws_access_key", "aws_secret_key", "gcp_service_account_key",
		"azure_connection_string", "github_token", "gitlab_token", "slack_token",
		"stripe_key", "npm_token", "openai_api_key", "anthropic_api_key",
		"private_key", "jwt", "url_credentials", "password_assignment",
		"api_token", "generic_credential",
	},
	"pii": {"email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "national_id"},
}

# classes expands a list of class and group names to class names.
classes(names) := {class |
	some name in names
	some class in object.get(finding_groups, name, {name})
}

denied_findings := found_classes & classes(entitlement.deny_findings)

# Only the classes actually found are redacted: the obligation then says exactly
# what modelgate changed in the payload. A denied class is not also redacted.
redacted_findings := (found_classes & classes(entitlement.redact)) - denied_findings

deny contains reason("secret_detected", concat("", ["payload contains secrets: ", listing(found)])) if {
	found := denied_findings & finding_groups.secrets
	count(found) > 0
}

# A subject that denies "secrets" is denied any finding screening files under the
# secret category (input.payload.categories), even one of a class newer than this
# vocabulary: the category, not the list above, is what fails closed.
deny contains reason("secret_detected", "payload contains secrets of a class this policy does not name") if {
	"secrets" in entitlement.deny_findings
	object.get(input.payload, ["categories", "secret"], 0) > 0
	count(found_classes & finding_groups.secrets) == 0
}

# Everything else a subject denies is personal data (or a class newer than this
# vocabulary, which rego/entitlements/entitlements_test.rego keeps out of the
# shipped entitlements).
deny contains reason("pii_detected", concat("", ["payload contains personal data this subject may not send: ", listing(found)])) if {
	found := denied_findings - finding_groups.secrets
	count(found) > 0
}

obligations contains {"type": "redact", "classes": sort(redacted_findings)} if {
	count(redacted_findings) > 0
}
