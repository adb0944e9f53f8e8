package modelgate

# Cost caps and rate limits, from entitlement.limits (all optional):
#   requests_per_minute  deny rate_limited when usage.requests_last_minute reaches it
#   daily_tokens         deny budget_exhausted when today's tokens plus this prompt
#                        reach it; otherwise cap max_tokens to what is left
#   max_tokens_per_call  cap max_tokens to it
# modelgate counts usage before this call: requests_last_minute excludes it.

# Which usage counter each limit is checked against.
limit_counters := {
	"requests_per_minute": "requests_last_minute",
	"daily_tokens": "tokens_last_day",
}

# The share of the daily budget from which budget_low is reported.
budget_low_percent := 80

# METADATA
# title: Limits of the calling subject
# description: |
#   A second entrypoint: modelgate's GET /v1/usage shows it next to the subject's
#   usage, evaluated with an input holding only `subject`. Undefined for an unknown subject.
# entrypoint: true
limits := entitlement.limits

# A limit is enforced or the call is denied: a missing counter is not zero.
deny contains reason("usage_unavailable", concat("", ["usage.", counter, " is missing, so ", limit, " cannot be enforced"])) if {
	some limit, counter in limit_counters
	is_number(limits[limit])
	not is_number(object.get(input, ["usage", counter], null))
}

deny contains reason("rate_limited", concat("", ["at most ", format_int(limit, 10), " requests per minute"])) if {
	limit := limits.requests_per_minute
	input.usage.requests_last_minute >= limit
}

# This call's prompt: the input_tokens the caller declares, and at least a token for every four
# characters of its payload (about four a token in English text; fewer in code and in Chinese or
# Japanese, so a floor), so a caller that declares nothing or too little still spends budget for
# what it sends. modelgate reserves the same figure (src/usage/prompt-tokens.ts).
default declared_tokens := 0

declared_tokens := input.invocation.input_tokens if is_number(input.invocation.input_tokens)

default payload_tokens := 0

payload_tokens := ceil(input.payload.chars / 4) if is_number(input.payload.chars)

prompt_tokens := max({declared_tokens, payload_tokens})

# Tokens counted against today's budget once this call is made: today's usage plus
# this call's prompt. The output is bounded by the cap_tokens obligation below.
tokens_committed := input.usage.tokens_last_day + prompt_tokens

deny contains reason("budget_exhausted", concat("", ["the daily budget of ", format_int(budget, 10), " tokens is used up"])) if {
	budget := limits.daily_tokens
	tokens_committed >= budget
}

advice contains reason("budget_low", concat("", [format_int(used_percent, 10), "% of the daily token budget used"])) if {
	used_percent >= budget_low_percent
}

used_percent := floor((100 * tokens_committed) / limits.daily_tokens) if limits.daily_tokens > 0

# The most output tokens the call may ask for: the per-call cap and what is left of
# today's budget, whichever is lower.
token_caps contains limits.max_tokens_per_call

token_caps contains limits.daily_tokens - tokens_committed

# One cap_tokens obligation, with the lowest cap, when the call asks for more or
# does not say (a provider default could be anything).
obligations contains {"type": "cap_tokens", "max_tokens": cap} if {
	count(token_caps) > 0
	cap := min(token_caps)
	not within(cap)
}

within(cap) if {
	is_number(input.invocation.max_tokens)
	input.invocation.max_tokens <= cap
}
