# The Todo application of the AuthZEN interop scenario, as a modelgate AuthZEN policy.
# Written for modelgate from the scenario's published rules; not copied from any PDP's policy.
#   can_read_user, can_read_todos    any user in the directory
#   can_create_todo                  admin or editor
#   can_update_todo, can_delete_todo admin; or editor on a todo the user owns
# The subject is found in the user directory (data.todo.users) by its PID or by its email, since the
# scenario's vector versions use either. Built with `opa build -t wasm -e todo/decision`.
package todo

import rego.v1

users_by_id[id] := user if {
	some pid, user in data.todo.users
	some id in [pid, user.email]
}

user := users_by_id[input.subject.id]

roles := {role | some role in user.roles}

# The owner of a todo: in `properties` (AuthZEN 1.0) or beside `type` and `id` (earlier drafts).
owner := input.resource.properties.ownerID

owner := input.resource.ownerID if not input.resource.properties.ownerID

owns if owner in {user.email, input.subject.id}

permitted if input.action.name in {"can_read_user", "can_read_todos"}

permitted if {
	input.action.name == "can_create_todo"
	some role in ["admin", "editor"]
	role in roles
}

permitted if {
	input.action.name in {"can_update_todo", "can_delete_todo"}
	"admin" in roles
}

permitted if {
	input.action.name in {"can_update_todo", "can_delete_todo"}
	"editor" in roles
	owns
}

default decision := {"allow": false, "reasons": [{"code": "unknown_subject", "message": "the subject is not in the user directory"}]}

decision := {"allow": true} if {
	user
	permitted
}

decision := {"allow": false, "reasons": [{"code": "not_permitted", "message": sprintf("%s may not %s", [user.email, input.action.name])}]} if {
	user
	not permitted
}
