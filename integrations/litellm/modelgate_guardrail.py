"""LiteLLM proxy guardrail that asks modelgate before every model call, and reports usage after it.

Pre-call: ``POST /v1/decide`` with the model, the operation, the requested token limit, the name of every tool
the call offers, and every field of the request that reaches the model as content, whole (see ``_ROUTES``). On
an allow, the request goes on with modelgate's redacted copy of exactly those fields and the capped token limit.
On a deny, the request is refused with HTTP 403 carrying the reasons and the decision id; when modelgate
cannot decide (unreachable, too slow, a 5xx, no token), with HTTP 503. The guardrail fails closed, always
runs (it ignores per-request opt-outs), and never forwards what modelgate did not clear.

Approvals: a call denied ``approval_required`` gets a 403 whose ``modelgate.approval`` names the pending approval.
Once an approver has approved it, the caller repeats the same request with the approval's id in the request's
``metadata.modelgate_approval_id`` or in the ``x-modelgate-approval-id`` header; the guardrail sends it to modelgate
as ``approval_id`` (an id that is not a UUID is refused with HTTP 400). Neither is part of what is screened, so the
payload and the context are the first call's and the approval's binding holds.

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
import re
import urllib.error
import urllib.request
from typing import Any, NamedTuple

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

logger = logging.getLogger("modelgate.litellm")

# Where a request presents an approval: a field of its metadata, or a header.
APPROVAL_METADATA_KEY = "modelgate_approval_id"
APPROVAL_HEADER = "x-modelgate-approval-id"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# A NamedTuple rather than a dataclass: LiteLLM loads this file without registering it in sys.modules, where
# dataclasses looks up the module of string annotations.
class _Route(NamedTuple):
    """How one kind of LiteLLM call is described to modelgate and how the decision is applied to it."""

    operation: str
    # The request fields that reach the model as content. They go to modelgate whole, as the payload's
    # ``arguments`` (any JSON; modelgate screens every string in it), and the call goes on with modelgate's redacted
    # copy of each: so tool calls' arguments, tool results, system prompts and items of any type are screened
    # with the text, and a shape this guardrail does not know is screened too instead of passed through.
    content: tuple[str, ...]
    # The caller's output token limit: the first of these that is set; the cap replaces it, or goes in the last.
    token_fields: tuple[str, ...]


_CHAT = _Route("chat", ("messages", "prediction"), ("max_completion_tokens", "max_tokens"))
_ANTHROPIC = _Route("chat", ("system", "messages"), ("max_tokens",))
_RESPONSES = _Route("chat", ("input", "instructions", "prompt"), ("max_output_tokens",))
_TEXT = _Route("completion", ("prompt", "suffix"), ("max_tokens",))

# LiteLLM call types, mapped to routes; embeddings are screened as modelgate's typed ``input``. Anything else is
# refused, not waved through.
_ROUTES = {
    "completion": _CHAT,
    "acompletion": _CHAT,
    "anthropic_messages": _ANTHROPIC,
    "aanthropic_messages": _ANTHROPIC,
    "responses": _RESPONSES,
    "aresponses": _RESPONSES,
    "text_completion": _TEXT,
    "atext_completion": _TEXT,
}
_EMBEDDING_CALLS = {"embeddings", "aembedding"}


class ModelgateGuardrail(CustomGuardrail):
    """A LiteLLM custom guardrail backed by modelgate (mode: [pre_call, post_call])."""

    def __init__(
        self,
        api_base: str | None = None,
        api_key: str | None = None,
        token_file: str | None = None,
        timeout_seconds: float = 5.0,
        accept_obligations: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.modelgate_url = (api_base or os.environ.get("MODELGATE_URL") or "").rstrip("/")
        # A token file is re-read for every call, so a workload identity agent can rotate it.
        self.token_file = token_file or os.environ.get("MODELGATE_TOKEN_FILE")
        self.static_token = api_key or os.environ.get("MODELGATE_TOKEN")
        self.timeout_seconds = float(timeout_seconds)
        # Obligation types fulfilled elsewhere, beside the redact and cap_tokens this guardrail enforces: an allow
        # carrying any other type is refused, since a policy's obligation that nobody fulfils is a silent allow.
        accepted = accept_obligations or os.environ.get("MODELGATE_ACCEPT_OBLIGATIONS") or []
        if isinstance(accepted, str):
            accepted = [name.strip() for name in accepted.split(",") if name.strip()]
        self.enforced_obligations = {"redact", "cap_tokens", *accepted}
        if not self.modelgate_url:
            raise ValueError("ModelgateGuardrail needs api_base (or MODELGATE_URL): the URL of modelgate")
        super().__init__(**kwargs)

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str) -> dict:
        request, route = self._decide_request(data, call_type, user_api_key_dict)
        status, reply = await self._post("/v1/decide", request)
        decision_id = reply.get("decision_id")
        reasons = reply.get("reasons") if isinstance(reply.get("reasons"), list) else []
        if 400 <= status < 500 or (status == 200 and reply.get("allow") is False):
            raise _refusal(403, "modelgate denied the call", decision_id, reasons, reply.get("approval"))
        if status != 200 or reply.get("allow") is not True:
            raise _refusal(503, f"modelgate could not decide (HTTP {status})", decision_id, reasons)
        obligations = reply.get("obligations") if isinstance(reply.get("obligations"), list) else [None]
        enforced = self.enforced_obligations
        unenforced = [o for o in obligations if not isinstance(o, dict) or o.get("type") not in enforced]
        if unenforced:
            names = ", ".join(str(o.get("type")) if isinstance(o, dict) else "malformed" for o in unenforced)
            reason = {
                "code": "obligation_not_enforced",
                "message": f"the guardrail cannot fulfil the policy's obligations: {names}",
            }
            raise _refusal(403, "modelgate allowed the call with obligations", decision_id, [reason])

        redacted = reply.get("redacted_payload") or {}
        if route is None:
            if "input" not in redacted:
                raise _refusal(503, "modelgate allowed the call without the redacted input", decision_id, [])
            data["input"] = redacted["input"]
        else:
            data.update(_redacted_content(request["payload"], redacted, decision_id))
            if isinstance(reply.get("max_tokens"), int):
                field = next((f for f in route.token_fields if data.get(f) is not None), route.token_fields[-1])
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

    def _decide_request(self, data: dict, call_type: str, user: Any) -> tuple[dict, _Route | None]:
        model = str(data.get("model") or "")
        route = _ROUTES.get(call_type)
        if call_type in _EMBEDDING_CALLS:
            operation, payload, token_fields = "embedding", {"input": data.get("input")}, ()
        elif route is not None:
            operation, payload, token_fields = route.operation, _content_payload(data, route), route.token_fields
        else:
            raise _refusal(403, f"the modelgate guardrail does not screen {call_type} calls", None, [])
        invocation: dict[str, Any] = {"model": model, "operation": operation, "provider": "litellm"}
        max_tokens = next((data[f] for f in token_fields if data.get(f) is not None), None)
        if isinstance(max_tokens, int) and max_tokens > 0:
            invocation["max_tokens"] = max_tokens
        tools = _tool_names(data)
        if tools:
            invocation["tools"] = tools
        # Who asked LiteLLM: not secret, and lets a policy tell teams apart. The key itself is never sent.
        context = {
            key: getattr(user, attr)
            for key, attr in (("litellm_user", "user_id"), ("litellm_team", "team_id"), ("litellm_key", "key_alias"))
            if isinstance(getattr(user, attr, None), str)
        }
        request: dict[str, Any] = {"invocation": invocation, "payload": payload}
        if context:
            request["context"] = context
        approval_id = _approval_id(data)
        if approval_id is not None:
            request["approval_id"] = approval_id
        return request, route

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


def _content_payload(data: dict, route: _Route) -> dict:
    if "messages" in route.content and not isinstance(data.get("messages"), list):
        raise _refusal(400, "a chat call without a list of messages cannot be screened", None, [])
    if route.operation == "completion" and not _is_text(data.get("prompt")):
        # Token ids cannot be screened: refuse rather than send what modelgate could not read.
        raise _refusal(400, "the modelgate guardrail screens text prompts only, not token ids", None, [])
    return {"arguments": {field: data[field] for field in route.content if data.get(field) is not None}}


def _approval_id(data: dict) -> str | None:
    """The approval the request presents, lower-cased: ``metadata.modelgate_approval_id`` (``litellm_metadata`` too,
    where LiteLLM keeps its own metadata for some routes) or the ``x-modelgate-approval-id`` header, which the proxy
    records in ``proxy_server_request.headers``. None when there is none; a 400 when one is not a UUID or two differ.
    """
    found: list[Any] = []
    for field in ("metadata", "litellm_metadata"):
        metadata = data.get(field)
        if isinstance(metadata, dict) and metadata.get(APPROVAL_METADATA_KEY) is not None:
            found.append(metadata[APPROVAL_METADATA_KEY])
    server_request = data.get("proxy_server_request")
    headers = server_request.get("headers") if isinstance(server_request, dict) else None
    if isinstance(headers, dict):
        found += [value for name, value in headers.items() if str(name).lower() == APPROVAL_HEADER]
    if not found:
        return None
    if not all(isinstance(value, str) and _UUID.fullmatch(value.strip()) for value in found):
        raise _refusal(
            400,
            f"metadata.{APPROVAL_METADATA_KEY} and the {APPROVAL_HEADER} header must be the id (a UUID) of the "
            "approval an earlier denial named",
            None,
            [],
        )
    ids = {value.strip().lower() for value in found}
    if len(ids) > 1:
        message = f"metadata.{APPROVAL_METADATA_KEY} and {APPROVAL_HEADER} name different approvals"
        raise _refusal(400, message, None, [])
    return ids.pop()


def _is_text(prompt: Any) -> bool:
    return isinstance(prompt, str) or (isinstance(prompt, list) and all(isinstance(p, str) for p in prompt))


def _redacted_content(sent: dict, redacted: dict, decision_id: Any) -> dict:
    fields = sent["arguments"].keys()
    cleared = redacted.get("arguments")
    if not isinstance(cleared, dict) or any(field not in cleared for field in fields):
        raise _refusal(503, "modelgate allowed the call without the redacted content", decision_id, [])
    return {field: cleared[field] for field in fields}


def _tool_names(data: dict) -> list[dict]:
    """Every tool's name: chat's ``tools[].function.name``, Responses' and Anthropic's ``tools[].name``, legacy
    ``functions[].name``, a built-in tool's ``type``, and the tools a namespace groups. A tool it cannot name is
    refused: the policy must see every tool the model may call."""
    names: list[dict] = []

    def visit(tool: Any) -> None:
        tool = tool if isinstance(tool, dict) else {}
        function, custom = tool.get("function"), tool.get("custom")
        # A function or custom tool is named by its name alone: its type would let any such tool pass as "function".
        user_defined = function is not None or custom is not None or tool.get("type") in ("function", "custom")
        name = next(
            (n for n in (_name_of(function), _name_of(custom), tool.get("name")) if n is not None),
            None if user_defined else tool.get("type"),
        )
        if not isinstance(name, str) or not name:
            raise _refusal(400, "a tool without a name or type cannot be checked by the policy", None, [])
        names.append({"name": name})
        for inner in tool.get("tools") if isinstance(tool.get("tools"), list) else []:
            visit(inner)

    for field in ("tools", "functions"):
        tools = data.get(field)
        if tools is None:
            continue
        if not isinstance(tools, list):
            raise _refusal(400, f"{field} must be a list for the policy to check it", None, [])
        for tool in tools:
            visit(tool)
    return names


def _name_of(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else None


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
        if isinstance(approval, dict):
            detail["error"] += (
                f"; approval {approval.get('id')} is {approval.get('status') or 'pending'}: once approved, repeat "
                f"the request with metadata.{APPROVAL_METADATA_KEY} or the {APPROVAL_HEADER} header set to it"
            )
    return HTTPException(status_code=status, detail=detail)
