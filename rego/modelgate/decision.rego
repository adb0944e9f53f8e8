# METADATA
# title: modelgate default policy
# description: |
#   Decides whether an identity may make a model invocation, and under which
#   obligations. Entitlements live in data.entitlements (rego/entitlements/data.json);
#   the rules here hold no identity.
package modelgate

# METADATA
# title: Decision document (v1)
# description: |
#   Always defined, for any input. A deny lists every reason that applies, not just
#   the first; an allow lists advice (budget_low) and the obligations to enforce.
# entrypoint: true
decision := {
	"allow": allow,
	"reasons": reasons,
	"obligations": granted_obligations,
}

default allow := false

allow if count(deny) == 0

# Sorted, so that the same input always produces the same document (and audit record).
reasons := sort(deny) if {
	not allow
} else := sort(advice)

# Obligations are conditions of an allow: a denied call carries none.
granted_obligations := sort(effective_obligations) if {
	allow
} else := []
