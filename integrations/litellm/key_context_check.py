"""Prints, as JSON, the decide request's context the guardrail builds for callers authenticated by LiteLLM's own
UserAPIKeyAuth: two virtual keys with no user, team or alias, a JWT, and the master key (its alias)."""

import json
import os

from litellm.proxy._types import UserAPIKeyAuth
from modelgate_guardrail import ModelgateGuardrail

guardrail = ModelgateGuardrail(api_base=os.environ["MODELGATE_URL"], guardrail_name="modelgate")
call = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
callers = {
    "key_one": UserAPIKeyAuth(api_key=os.environ["KEY_ONE"]),
    "key_two": UserAPIKeyAuth(api_key=os.environ["KEY_TWO"]),
    "jwt": UserAPIKeyAuth(api_key=os.environ["JWT"]),
    "master": UserAPIKeyAuth(api_key="litellm_proxy_master_key", user_id="default_user_id"),
}
contexts = {
    name: guardrail._decide_request(dict(call), "acompletion", user)[0].get("context") for name, user in callers.items()
}
print(json.dumps(contexts))
