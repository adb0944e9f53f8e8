"""LiteLLM proxy guardrail that asks modelgate before every model call, and reports usage after it.

Pre-call: ``POST /v1/decide`` with the model, the operation, the requested token limit and the messages (or
embedding input). On an allow, the request goes on with the redacted messages and the capped ``max_tokens``.
On a deny, the request is refused with HTTP 403 carrying the reasons and the decision id; when modelgate
cannot decide (unreachable, too slow, a 5xx, no token), with HTTP 503. The guardrail fails closed, always
runs (it ignores per-request opt-outs), and never forwards what modelgate did not clear.

Post-call: the provider's token usage goes to ``POST /v1/decisions/{id}/usage``; a failed report is logged,
since the call has already been made.

Why not LiteLLM's generic guardrail API: it has no field for a token cap, and it treats a 200 reply without
its ``action`` field as an allow, so any reply it does not understand lets the call through.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

logger = logging.getLogger("modelgate.litellm")

# LiteLLM call types, mapped to modelgate operations; anything else is refused, not waved through.
_CHAT_CALLS = {"completion", "acompletion", "anthropic_messages", "responses", "aresponses"}
_EMBEDDING_CALLS = {"embeddings", "aembedding"}
_TEXT_CALLS = {"text_completion", "atext_completion"}


class ModelgateGuardrail(CustomGuardrail):
    """A LiteLLM custom guardrail backed by modelgate (mode: [pre_call, post_call])."""

    def __init__(
        self,
        api_base: str | None = None,
        api_key: str | None = None,
        token_file: str | None = None,
        timeout_seconds: float = 5.0,
        **kwargs: Any,
    ) -> None:
        self.modelgate_url = (api_base or os.environ.get("MODELGATE_URL") or "").rstrip("/")
        # A token file is re-read for every call, so a workload identity agent can rotate it.
        self.token_file = token_file or os.environ.get("MODELGATE_TOKEN_FILE")
        self.static_token = api_key or os.environ.get("MODELGATE_TOKEN")
        self.timeout_seconds = float(timeout_seconds)
        if not self.modelgate_url:
            raise ValueError("ModelgateGuardrail needs api_base (or MODELGATE_URL): the URL of modelgate")
        super().__init__(**kwargs)

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str) -> dict:
        request, operation = self._decide_request(data, call_type, user_api_key_dict)
        status, reply = await self._post("/v1/decide", request)
        decision_id = reply.get("decision_id")
        reasons = reply.get("reasons") if isinstance(reply.get("reasons"), list) else []
        if 400 <= status < 500 or (status == 200 and reply.get("allow") is False):
            raise _refusal(403, "modelgate denied the call", decision_id, reasons, reply.get("approval"))
        if status != 200 or reply.get("allow") is not True:
            raise _refusal(503, f"modelgate could not decide (HTTP {status})", decision_id, reasons)

        redacted = reply.get("redacted_payload") or {}
        if operation == "embedding":
            if "input" not in redacted:
                raise _refusal(503, "modelgate allowed the call without the redacted input", decision_id, [])
            data["input"] = redacted["input"]
        else:
            data.update(_apply_messages(data, redacted, decision_id))
            if isinstance(reply.get("max_tokens"), int):
                field = "max_completion_tokens" if data.get("max_completion_tokens") is not None else "max_tokens"
                data[field] = reply["max_tokens"]
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = {}
            data["metadata"] = metadata
        metadata["modelgate_decision_id"] = decision_id
        return data

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        decision_id = (data.get("metadata") or {}).get("modelgate_decision_id")
        usage = getattr(response, "usage", None)
        if not decision_id or usage is None:
            return response
        input_tokens = _first_int(usage, "prompt_tokens", "input_tokens")
        output_tokens = _first_int(usage, "completion_tokens", "output_tokens")
        try:
            status, reply = await self._post(
                f"/v1/decisions/{decision_id}/usage",
                {"input_tokens": input_tokens, "output_tokens": output_tokens},
            )
            if not 200 <= status < 300:
                logger.warning("modelgate usage report for %s refused: HTTP %s %s", decision_id, status, reply)
        except HTTPException as error:
            logger.warning("modelgate usage report for %s failed: %s", decision_id, error.detail)
        return response

    def _decide_request(self, data: dict, call_type: str, user: Any) -> tuple[dict, str]:
        model = str(data.get("model") or "")
        if call_type in _EMBEDDING_CALLS:
            operation, payload = "embedding", {"input": data.get("input")}
        elif call_type in _TEXT_CALLS:
            operation, payload = "completion", {"prompt": data.get("prompt")}
        elif call_type in _CHAT_CALLS and isinstance(data.get("messages"), list):
            operation = "chat"
            payload = {"messages": [_screened_message(m) for m in data["messages"]]}
        else:
            raise _refusal(403, f"the modelgate guardrail does not screen {call_type} calls", None, [])
        invocation: dict[str, Any] = {"model": model, "operation": operation, "provider": "litellm"}
        max_tokens = data.get("max_completion_tokens") or data.get("max_tokens")
        if isinstance(max_tokens, int) and max_tokens > 0:
            invocation["max_tokens"] = max_tokens
        tools = [t.get("function", {}).get("name") for t in data.get("tools") or [] if isinstance(t, dict)]
        if any(tools):
            invocation["tools"] = [{"name": name} for name in tools if name]
        # Who asked LiteLLM: not secret, and lets a policy tell teams apart. The key itself is never sent.
        context = {
            key: getattr(user, attr)
            for key, attr in (("litellm_user", "user_id"), ("litellm_team", "team_id"), ("litellm_key", "key_alias"))
            if isinstance(getattr(user, attr, None), str)
        }
        request: dict[str, Any] = {"invocation": invocation, "payload": payload}
        if context:
            request["context"] = context
        return request, operation

    def _token(self) -> str:
        if self.token_file:
            with open(self.token_file, encoding="utf-8") as handle:
                return handle.read().strip()
        if self.static_token:
            return self.static_token
        raise RuntimeError("no token: set token_file (MODELGATE_TOKEN_FILE) or api_key (MODELGATE_TOKEN)")

    async def _post(self, route: str, body: dict) -> tuple[int, dict]:
        try:
            token = self._token()
            return await asyncio.to_thread(self._post_sync, route, body, token)
        except HTTPException:
            raise
        except Exception as error:  # noqa: BLE001 - unreachable, timeout, no token, bad reply: fail closed
            raise _refusal(503, f"modelgate did not answer at {self.modelgate_url}: {error}", None, []) from error

    def _post_sync(self, route: str, body: dict, token: str) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{self.modelgate_url}{route}",
            data=json.dumps(body).encode("utf-8"),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_seconds) as res:
                status, text = res.status, res.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        reply = json.loads(text)
        if not isinstance(reply, dict):
            raise ValueError(f"HTTP {status} with a body that is not a JSON object")
        return status, reply


def _screened_message(message: Any) -> dict:
    role = message.get("role") if isinstance(message, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(role, str):
        raise _refusal(400, "a message without a role cannot be screened", None, [])
    if content is None:
        content = ""
    if not isinstance(content, (str, list)):
        raise _refusal(400, f"a {role} message has content that cannot be screened", None, [])
    return {"role": role, "content": content}


def _apply_messages(data: dict, redacted: dict, decision_id: Any) -> dict:
    messages = redacted.get("messages")
    originals = data.get("messages") or []
    if not isinstance(messages, list) or len(messages) != len(originals):
        raise _refusal(503, "modelgate allowed the call without the redacted messages", decision_id, [])
    out = []
    for original, cleared in zip(originals, messages):
        copy = dict(original)
        if original.get("content") is not None:
            copy["content"] = cleared["content"]
        out.append(copy)
    return {"messages": out}


def _first_int(usage: Any, *names: str) -> int:
    for name in names:
        value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
        if isinstance(value, int):
            return value
    return 0


def _refusal(status: int, message: str, decision_id: Any, reasons: list, approval: Any = None) -> HTTPException:
    codes = ", ".join(str(r.get("code")) for r in reasons if isinstance(r, dict))
    detail: dict[str, Any] = {
        "error": f"{message}{f' ({codes})' if codes else ''}; decision {decision_id}",
        "modelgate": {"decision_id": decision_id, "reasons": reasons},
    }
    if approval:
        detail["modelgate"]["approval"] = approval
    return HTTPException(status_code=status, detail=detail)
