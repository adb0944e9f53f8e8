package modelgate_test

import data.modelgate.matches_any

# matches_any compares a pattern without glob syntax with ==, and calls glob.match
# for the others: each test below fails if a pattern takes the wrong path.

test_literal_pattern_matches_only_the_exact_string if {
	matches_any(["vendor.model-a"], ["."], "vendor.model-a")
	not matches_any(["vendor.model-a"], ["."], "vendor.model-ab")
	not matches_any(["vendor.model-a"], ["."], "vendor.model-")
	not matches_any(["vendor.model-a"], ["."], "Vendor.model-a")
	not matches_any(["vendor.model-a"], ["."], "vendor.model-a\n")
	not matches_any(["vendor.model-a"], ["."], "")
	matches_any([""], ["."], "")
}

test_literal_pattern_with_regex_characters_is_literal if {
	matches_any(["a.b"], ["."], "a.b")
	not matches_any(["a.b"], ["."], "axb")
	matches_any(["corp/web.app"], ["/"], "corp/web.app")
	not matches_any(["corp/web.app"], ["/"], "corp/webxapp")
	matches_any(["model(v2)+$"], ["."], "model(v2)+$")
	not matches_any(["model(v2)+$"], ["."], "modelv2")
}

test_glob_pattern_still_matches_by_glob if {
	matches_any(["vendor.*"], ["."], "vendor.model")
	not matches_any(["vendor.*"], ["."], "vendor.model.eu")
	matches_any(["model-?"], ["."], "model-1")
	matches_any(["[ab]pp"], ["."], "app")
	not matches_any(["[ab]pp"], ["."], "[ab]pp")
	matches_any(["[!a]pp"], ["."], "bpp")
	not matches_any(["[!a]pp"], ["."], "[!a]pp")
	matches_any(["{dev,prod}"], ["."], "prod")
	not matches_any(["{dev,prod}"], ["."], "{dev,prod}")
}

test_escaped_pattern_matches_by_glob if {
	matches_any(["a\\-b"], ["."], "a-b")
	not matches_any(["a\\-b"], ["."], "a\\-b")
	matches_any(["a\\*"], ["."], "a*")
	not matches_any(["a\\*"], ["."], "ab")
}

test_any_pattern_of_the_list_may_match if {
	matches_any(["other", "corp/*", "corp/app"], ["/"], "corp/app")
	matches_any(["corp/*", "corp/x"], ["/"], "corp/app")
	not matches_any(["corp/*", "corp/x"], ["/"], "evil/app")
	not matches_any([], ["/"], "corp/app")
}

test_non_string_value_never_matches if {
	not matches_any(["42"], ["."], 42)
	not matches_any([42], ["."], 42)
	not matches_any([null], ["."], null)
	not matches_any([true], ["."], true)
	not matches_any([["a"]], ["."], ["a"])
	not matches_any([{"a": "b"}], ["."], {"a": "b"})
	not matches_any(["*"], ["."], 42)
}

test_non_string_pattern_never_matches if {
	not matches_any([42, null, ["a"]], ["."], "42")
}
