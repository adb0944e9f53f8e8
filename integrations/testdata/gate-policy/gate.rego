# The policy the integration tests (SDK, LiteLLM guardrail, MCP middleware) run against: small, and
# shaped like what a gateway or an agent is held to. Built with the real `opa build` by each test.
#   - a secret in the payload is refused (secret_in_payload)
#   - the tool delete_database is refused (tool_not_allowed)
#   - the tool refund_payment needs a human approval
#   - the tool export_report is allowed with an obligation of the policy's own (watermark)
#   - everything else is allowed, with emails and card numbers redacted and output capped at 64 tokens
package modelgate

import rego.v1

secret_classes := {
	"aws_access_key", "aws_secret_key", "github_token", "gitlab_token", "slack_token", "stripe_key",
	"npm_token", "openai_api_key", "anthropic_api_key", "private_key", "jwt", "url_credentials",
	"password_assignment", "gcp_service_account_key", "azure_connection_string",
}

secrets_found := sort([class |
	some class, n in input.payload.findings
	n > 0
	class in secret_classes
])

tools := {t.name | some t in object.get(input.invocation, "tools", [])}

redact := {"type": "redact", "classes": ["email", "credit_card"]}

cap := {"type": "cap_tokens", "max_tokens": 64}

decision := {"allow": false, "reasons": [{
	"code": "secret_in_payload",
	"message": sprintf("the payload holds a secret: %s", [concat(", ", secrets_found)]),
}]} if {
	count(secrets_found) > 0
} else := {"allow": false, "reasons": [{"code": "tool_not_allowed", "message": "delete_database may not be called"}]} if {
	"delete_database" in tools
} else := {"allow": true, "reasons": [], "obligations": [
	redact,
	{"type": "require_approval", "reason": "refunds need a human approval"},
]} if {
	"refund_payment" in tools
} else := {"allow": true, "reasons": [], "obligations": [redact, cap, {"type": "watermark", "text": "internal"}]} if {
	"export_report" in tools
} else := {"allow": true, "reasons": [], "obligations": [redact, cap]}
