package modelgate_test

import data.modelgate

test_redacts_only_the_classes_found if {
	d := decide({"payload": {"findings": {"email": 2, "phone": 0, "iban": 1}}})
	allowed_with(d, {{"type": "redact", "classes": ["email", "iban"]}})
}

test_findings_outside_the_redact_and_deny_lists_pass if {
	doc := object.union(allowed_input, {"payload": {"findings": {"phone": 1}}})
	allowed_with(evaluate(entitled({"redact": ["email"]}), doc), set())
}

test_secrets_are_denied_and_listed if {
	d := decide({"payload": {"findings": {"aws_access_key": 1, "aws_secret_key": 1, "email": 3}}})
	denied_with(d, {"secret_detected"})
	message_of(d, "secret_detected") == "payload contains secrets: aws_access_key, aws_secret_key"
}

test_denied_personal_data_is_denied_apart_from_secrets if {
	d := decide({"payload": {"findings": {"us_ssn": 1, "jwt": 1}}})
	denied_with(d, {"secret_detected", "pii_detected"})
	message_of(d, "pii_detected") == "payload contains personal data this subject may not send: us_ssn"
}

test_denied_class_is_not_also_redacted if {
	found := {"us_ssn", "email"}
	modelgate.redacted_findings == {"email"} with modelgate.found_classes as found
		with input as allowed_input
		with data.entitlements as entitlements
}

test_missing_or_empty_payload_has_no_findings if {
	allowed_with(decide_raw(json.remove(allowed_input, ["payload"])), set())
	allowed_with(decide({"payload": {"present": false, "findings": {}}}), set())
}

test_classes_expands_groups_and_keeps_class_names if {
	modelgate.classes(["pii", "jwt"]) == {"email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "national_id", "jwt"}
	count(modelgate.classes(["secrets"])) == 17
}

test_upstream_rule_classes_are_secrets if {
	d := decide({"payload": {
		"findings": {"api_token": 1},
		"categories": {"secret": 1},
		"rules": {"stripe-access-token": 1},
	}})
	denied_with(d, {"secret_detected"})
	message_of(d, "secret_detected") == "payload contains secrets: api_token"
}

test_secret_category_denies_a_class_the_policy_does_not_name if {
	d := decide({"payload": {"findings": {"some_future_class": 1}, "categories": {"secret": 1}}})
	denied_with(d, {"secret_detected"})
	message_of(d, "secret_detected") == "payload contains secrets of a class this policy does not name"
}

test_secret_category_denies_only_subjects_that_deny_secrets if {
	doc := object.union(allowed_input, {"payload": {"findings": {"some_future_class": 1}, "categories": {"secret": 1}}})
	allowed_with(evaluate(entitled({"deny_findings": ["us_ssn"]}), doc), set())
}
