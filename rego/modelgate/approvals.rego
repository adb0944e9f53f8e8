package modelgate

# Approvals (DESIGN.md, "Approvals"). A require_approval obligation makes modelgate
# answer approval_required with a pending approval; once a human approves it, the
# caller asks again with its approval_id and modelgate hands the approval to the
# policy as input.approval: {id, status, approved_by, approved_at, uses_left}.
# modelgate has already checked that the approval is bound to this caller, this
# invocation and this payload; the policy decides what each status means.

default approval_status := null

approval_status := input.approval.status

# A granted approval satisfies every require_approval of the request it is bound to:
# the call is then allowed with its other obligations (redaction, caps) intact.
approval_granted if {
	approval_status == "approved"
	input.approval.uses_left > 0
}

# An approval the caller presents but that can no longer be used is a deny that says
# why. A pending one is not: the call still needs the approval, and modelgate answers
# approval_required with that same pending approval.
deny contains reason("approval_denied", "the approval for this request was denied") if {
	approval_status == "denied"
}

deny contains reason("approval_expired", "the approval for this request has expired; ask for a new one") if {
	approval_status == "expired"
}

deny contains reason("approval_used_up", "the approval for this request has been used up; ask for a new one") if {
	approval_status == "used_up"
}

# The obligations of an allow. An entitlement's `approvers` (a group or role name)
# tells modelgate and the approve entrypoint who may approve.
effective_obligations contains o if {
	some o in obligations
	o.type != "require_approval"
}

effective_obligations contains object.union(o, approvers_of(entitlement)) if {
	some o in obligations
	o.type == "require_approval"
	not approval_granted
}

approvers_of(ent) := {"approvers": ent.approvers} if {
	is_string(ent.approvers)
} else := {}

# METADATA
# title: Approval permission
# description: |
#   Whether input.approver may approve or deny the pending approval input.request.
#   Always defined. modelgate has checked the modelgate:approve scope and refuses
#   self-approval on its own as well; this adds who belongs to which approvers group.
# entrypoint: true
approve := {
	"allow": count(approve_deny) == 0,
	"reasons": sort(approve_deny),
}

# Separation of duties: nobody approves a request of their own subject or agent.
approve_deny contains reason("self_approval", "nobody may decide their own request") if {
	input.approver.id == input.request.requester.subject
}

approve_deny contains reason("self_approval", "nobody may decide their own request") if {
	input.approver.id == input.request.requester.actor
}

approve_deny contains reason("approver_missing", "the approver has no subject id") if {
	not is_string(input.approver.id)
}

# An approval that names its approvers is decided only by members of that group or
# role: the token's `groups` or `roles` claim must list it.
approve_deny contains reason("not_an_approver", concat("", ["only members of ", group, " may decide this request"])) if {
	group := input.request.approvers
	is_string(group)
	not group in approver_memberships
}

approver_memberships contains name if {
	some claim in ["groups", "roles"]
	names := input.approver.claims[claim]
	is_array(names)
	some name in names
}
