package modelgate

# The fields every entitlement has. A subject's entry in data.entitlements.subjects
# is laid over these, so that no check is skipped because data left a field out:
# allowlists default to empty (nothing allowed) and every secret class to denied.
# Fields left out here (issuers, providers, purposes, environments, repositories)
# are optional restrictions: absent means "not restricted on this field".
base_entitlement := {
	"required_scopes": [],
	"models": [],
	"operations": [],
	"model_approvals": {},
	"tools": {},
	"redact": [],
	"deny_findings": ["secrets"],
	"limits": {},
}

# The entitlement of the calling identity, by subject id. Undefined for an unknown
# subject: the rules below then skip, and unknown_subject denies.
entitlement := object.union(base_entitlement, data.entitlements.subjects[subject_id])

deny contains reason("unknown_subject", concat("", ["no entitlements for subject ", text(subject_id)])) if {
	not entitlement
}

# Subject ids are unique per issuer only: an entitlement that names its issuers is
# not granted to the same subject id from another trusted issuer.
deny contains reason("issuer_not_allowed", concat("", ["issuer ", text(subject_issuer), " is not trusted for this subject"])) if {
	issuers := entitlement.issuers
	not subject_issuer in issuers
}

# Scopes narrow what a token may be used for, beyond who it names.
deny contains reason("scope_missing", concat("", ["the token lacks scope ", text(scope)])) if {
	some scope in entitlement.required_scopes
	not scope in subject_scopes
}
