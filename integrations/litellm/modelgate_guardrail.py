"""LiteLLM proxy guardrail that asks modelgate before every model call, and reports usage after it.

Pre-call: ``POST /v1/decide`` with the model, the operation, the largest token limit the call sets, every name of
every tool the call offers, and every other field of the request, whole: the content and also tool definitions,
response schemas, stop sequences, ``user`` and the provider's ``metadata``, since whatever the provider reads may
reach the model or be kept by the provider (see ``_route``). A field the provider's API does not define is refused
unless the operator names it in ``screen_fields``: LiteLLM would send it on unscreened. On an allow, the request
goes on with modelgate's redacted copy of exactly those fields and the cap in each token limit the call sets.
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
import time
import urllib.error
import urllib.request
from typing import Any, NamedTuple

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.llms.anthropic import AnthropicMessagesRequest
from openai.types.chat.completion_create_params import CompletionCreateParamsBase as ChatParams
from openai.types.completion_create_params import CompletionCreateParamsBase as TextParams
from openai.types.embedding_create_params import EmbeddingCreateParams as EmbeddingParams
from openai.types.responses.response_create_params import ResponseCreateParamsBase as ResponseParams

logger = logging.getLogger("modelgate.litellm")

# Where a request presents an approval: a field of its metadata, or a header.
APPROVAL_METADATA_KEY = "modelgate_approval_id"
APPROVAL_HEADER = "x-modelgate-approval-id"
# LiteLLM's hash of a key (UserAPIKeyAuth.token): SHA-256 hex, "hashed-jwt-" before it for a JWT. LiteLLM leaves
# other values unhashed (its master key's alias), so only this shape is sent.
_KEY_HASH = re.compile(r"(hashed-jwt-)?[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# A NamedTuple rather than a dataclass: LiteLLM loads this file without registering it in sys.modules, where
# dataclasses looks up the module of string annotations.
class _Route(NamedTuple):
    """How one kind of LiteLLM call is described to modelgate and how the decision is applied to it."""

    operation: str
    # Every top-level field the provider's API takes besides ``model`` and the token limits, from the API's own
    # request type. Whatever a provider reads may reach the model or be kept by the provider (tool descriptions,
    # response schemas, stop sequences, ``user``, metadata), so each field the call sets goes to modelgate whole, as
    # the payload's ``arguments`` (any JSON; every key and string of it screened), and the call goes on with
    # modelgate's redacted copy of each. A field the call sets that is neither this, a token limit, nor LiteLLM's
    # own bookkeeping is refused: LiteLLM sends unknown fields on to the provider (vLLM reads ``documents``), and
    # some of its own insert content (``litellm_system_prompt``) or change the model (``fallbacks``).
    fields: frozenset[str]
    # The caller's output token limits: each that is set is replaced by the cap; none set, the cap goes in the last.
    token_fields: tuple[str, ...]
    # Fields that ask for more than one choice: each may only be 1, since the cap bounds one choice.
    choice_fields: tuple[str, ...] = ()
    # Embeddings: ``input`` is screened as modelgate's typed ``input``, beside the other fields.
    typed_input: bool = False
    # Where LiteLLM keeps its own metadata for the call: ``litellm_metadata`` where the provider's API has a
    # ``metadata`` of its own (then screened as the provider's), else ``metadata``. LiteLLM's is not sent on.
    litellm_metadata: str = "metadata"


def _route(operation: str, request_type: Any, token_fields: tuple[str, ...], **options: Any) -> _Route:
    names = set(request_type.__required_keys__ | request_type.__optional_keys__) | {"stream"}
    names -= {"model", options.get("litellm_metadata", "metadata"), *token_fields}
    if options.get("typed_input"):
        names.discard("input")
    return _Route(operation, frozenset(names), token_fields, **options)


_CHAT = _route("chat", ChatParams, ("max_completion_tokens", "max_tokens"), choice_fields=("n",))
_ANTHROPIC = _route("chat", AnthropicMessagesRequest, ("max_tokens",), litellm_metadata="litellm_metadata")
_RESPONSES = _route("chat", ResponseParams, ("max_output_tokens",), litellm_metadata="litellm_metadata")
_TEXT = _route("completion", TextParams, ("max_tokens",), choice_fields=("n", "best_of"))
_EMBEDDING = _route("embedding", EmbeddingParams, (), typed_input=True)

# LiteLLM call types, mapped to routes. Anything else is refused, not waved through.
_ROUTES = {
    "completion": _CHAT,
    "acompletion": _CHAT,
    "anthropic_messages": _ANTHROPIC,
    "aanthropic_messages": _ANTHROPIC,
    "responses": _RESPONSES,
    "aresponses": _RESPONSES,
    "text_completion": _TEXT,
    "atext_completion": _TEXT,
    "embeddings": _EMBEDDING,
    "aembedding": _EMBEDDING,
}

# Fields of a call that are LiteLLM's own and reach no provider: what the proxy adds before the guardrail runs
# (its request snapshot, secrets, call id, logging object, and the mark of a stream whose usage it asked the provider
# for, which it sets or clears on every call, whatever the caller sent) and the per-request settings that only
# LiteLLM reads.
# LiteLLM's metadata (``metadata`` on chat, text and embedding calls, ``litellm_metadata`` where the provider's
# API has a ``metadata`` of its own) is LiteLLM's too: see ``_Route.litellm_metadata``.
_LITELLM_FIELDS = frozenset(
    {
        "proxy_server_request",
        "secret_fields",
        "litellm_call_id",
        "litellm_logging_obj",
        "_litellm_strip_stream_usage",
        "litellm_trace_id",
        "litellm_session_id",
        "guardrails",
        "tags",
    }
)


class ModelgateGuardrail(CustomGuardrail):
    """A LiteLLM custom guardrail backed by modelgate (mode: [pre_call, post_call])."""

    def __init__(
        self,
        api_base: str | None = None,
        api_key: str | None = None,
        token_file: str | None = None,
        timeout_seconds: float = 5.0,
        accept_obligations: str | list[str] | None = None,
        screen_fields: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.modelgate_url = (api_base or os.environ.get("MODELGATE_URL") or "").rstrip("/")
        # A token file is re-read for every call, so a workload identity agent can rotate it.
        self.token_file = token_file or os.environ.get("MODELGATE_TOKEN_FILE")
        self.static_token = api_key or os.environ.get("MODELGATE_TOKEN")
        self.timeout_seconds = float(timeout_seconds)
        # Obligation types fulfilled elsewhere, beside the redact and cap_tokens this guardrail enforces: an allow
        # carrying any other type is refused, since a policy's obligation that nobody fulfils is a silent allow.
        accepted = _names(accept_obligations or os.environ.get("MODELGATE_ACCEPT_OBLIGATIONS"))
        self.enforced_obligations = {"redact", "cap_tokens", *accepted}
        # Fields of the providers behind this proxy that their API's request type does not define (``top_k``,
        # ``documents``): screened with the rest instead of refused. Never a token limit, which would escape the cap.
        self.screen_fields = frozenset(_names(screen_fields or os.environ.get("MODELGATE_SCREEN_FIELDS")))
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

        data.update(_cleared_fields(request["payload"], reply.get("redacted_payload"), decision_id))
        _cap_tokens(data, route, reply.get("max_tokens"))
        metadata = data.get(route.litellm_metadata)
        if not isinstance(metadata, dict):
            metadata = {}
            data[route.litellm_metadata] = metadata
        metadata["modelgate_decision_id"] = decision_id
        metadata["modelgate_model"] = request["invocation"]["model"]
        return data

    async def async_pre_call_deployment_hook(self, kwargs: dict, call_type: Any) -> Any:
        """Refuses (403) to send a call to a model other than the one modelgate decided on: LiteLLM's router runs
        this before every call to a deployment, the fallbacks an operator configured included, and a fallback goes
        to another model group, which the policy never saw. Deployments of the decided model group pass."""
        metadata = _decided(kwargs)
        if metadata is not None:
            decided, group = metadata.get("modelgate_model"), metadata.get("model_group")
            if isinstance(group, str) and group != decided:
                message = f"LiteLLM would send the call to {group}, but modelgate decided on {decided}"
                raise _refusal(403, message, metadata["modelgate_decision_id"], [])
        return await super().async_pre_call_deployment_hook(kwargs, call_type)

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        # An Anthropic /v1/messages reply is a dict; the others are objects.
        usage = response.get("usage") if isinstance(response, dict) else getattr(response, "usage", None)
        if usage is not None:
            tally = _UsageTally()
            tally.add(usage)
            await self._report_usage(data, tally)
        return response

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any, request_data: dict):
        """Passes every chunk of a stream on as it came and reports the usage its chunks carried once it has ended.
        LiteLLM calls the post-call success hook at the end of a chat stream only; Responses and /v1/messages streams
        reach a guardrail here alone. Defining this hook also stops that end-of-chat-stream call, so chat streams are
        counted here too, and counted once."""
        tally = _UsageTally()
        async for chunk in response:
            tally.add_chunk(chunk)
            yield chunk
        if tally.seen:
            await self._report_usage(request_data, tally)

    async def _report_usage(self, data: dict, tally: "_UsageTally") -> None:
        metadata = _decided(data)
        decision_id = metadata["modelgate_decision_id"] if metadata is not None else None
        if not decision_id:
            return
        body = {"input_tokens": tally.input_tokens, "output_tokens": tally.output_tokens}
        try:
            status, reply = await self._post(f"/v1/decisions/{decision_id}/usage", body)
            if not 200 <= status < 300:
                logger.warning("modelgate usage report for %s refused: HTTP %s %s", decision_id, status, reply)
        except HTTPException as error:
            logger.warning("modelgate usage report for %s failed: %s", decision_id, error.detail)

    def _decide_request(self, data: dict, call_type: str, user: Any) -> tuple[dict, _Route]:
        route = _ROUTES.get(call_type)
        if route is None:
            raise _refusal(403, f"the modelgate guardrail does not screen {call_type} calls", None, [])
        model = data.get("model")
        if not isinstance(model, str) or not model:
            raise _refusal(400, "model must be the name of a model", None, [])
        invocation: dict[str, Any] = {"model": model, "operation": route.operation, "provider": "litellm"}
        payload = _payload(data, route, self._screened_fields(data, route))
        max_tokens = _requested_tokens(data, route)
        if max_tokens is not None:
            invocation["max_tokens"] = max_tokens
        tools = _tool_names(data)
        if tools:
            invocation["tools"] = tools
        # Who asked LiteLLM: not secret, and lets a policy tell teams apart. The key itself is never sent; its
        # hash is, which LiteLLM itself keys its spend logs by, so that an approval binds to the key that asked.
        context = {
            key: getattr(user, attr)
            for key, attr in (("litellm_user", "user_id"), ("litellm_team", "team_id"), ("litellm_key", "key_alias"))
            if isinstance(getattr(user, attr, None), str)
        }
        key_hash = getattr(user, "token", None)
        if isinstance(key_hash, str) and _KEY_HASH.fullmatch(key_hash):
            context["litellm_key_hash"] = key_hash
        request: dict[str, Any] = {"invocation": invocation, "payload": payload}
        if context:
            request["context"] = context
        approval_id = _approval_id(data)
        if approval_id is not None:
            request["approval_id"] = approval_id
        return request, route

    def _screened_fields(self, data: dict, route: _Route) -> list[str]:
        """The fields of the call to screen; a 400 for a field it would have to pass on unscreened, for more than one
        choice, and for a background Responses call."""
        own = _LITELLM_FIELDS | {route.litellm_metadata}
        known = route.fields | self.screen_fields
        passed = {"model", *route.token_fields, *(("input",) if route.typed_input else ())}
        unknown = sorted(str(f) for f in data if f not in own and f not in known and f not in passed)
        if unknown:
            raise _refusal(
                400,
                f"the modelgate guardrail does not screen the field {', '.join(unknown)}: the provider would get it "
                "unscreened (the guardrail's screen_fields names fields of your provider's to screen with the rest)",
                None,
                [],
            )
        for field in route.choice_fields:
            if data.get(field) is not None and (type(data[field]) is not int or data[field] != 1):
                raise _refusal(400, f"{field} must be 1: the token cap bounds one choice", None, [])
        if data.get("background") is True:
            # Its answer and its usage come later, from a route no guardrail is called on (and config.yaml does not
            # serve): the usage would never be reported.
            raise _refusal(400, "background responses are not served: their usage could not be reported", None, [])
        return sorted(f for f in data if f in known and f not in own and data[f] is not None)

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
        except TimeoutError as error:
            message = f"modelgate did not answer within {self.timeout_seconds:g} s at {self.modelgate_url}"
            raise _refusal(503, message, None, []) from error
        except Exception as error:  # noqa: BLE001 - unreachable, timeout, no token, bad reply: fail closed
            raise _refusal(503, f"modelgate did not answer at {self.modelgate_url}: {error}", None, []) from error

    def _post_sync(self, route: str, body: dict, token: str) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{self.modelgate_url}{route}",
            data=json.dumps(body).encode("utf-8"),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            method="POST",
        )
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_seconds) as res:
                status, text = res.status, _read_within(res, deadline)
        except urllib.error.HTTPError as error:
            status, text = error.code, _read_within(error.fp, deadline) if error.fp else b""
        reply = json.loads(text)
        if not isinstance(reply, dict):
            raise ValueError(f"HTTP {status} with a body that is not a JSON object")
        return status, reply


def _decided(data: dict) -> dict | None:
    """LiteLLM's metadata of a call the pre-call hook allowed, holding the decision's id and model; None for a call
    it did not see. ``litellm_metadata`` first: on Responses and Anthropic calls, ``metadata`` is the provider's."""
    for field in ("litellm_metadata", "metadata"):
        metadata = data.get(field)
        if isinstance(metadata, dict) and "modelgate_decision_id" in metadata:
            return metadata
    return None


def _read_within(response: Any, deadline: float) -> bytes:
    """The whole body, or TimeoutError once ``deadline`` (``time.monotonic()``) has passed. urllib's timeout bounds
    each read only, so a body that came a byte at a time would hold the call (and its thread) for as long as it went
    on; reading what has arrived, a chunk at a time, lets the deadline end it."""
    chunks: list[bytes] = []
    while chunk := response.read1(65536):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the answer did not end in time")
    return b"".join(chunks)


def _payload(data: dict, route: _Route, fields: list[str]) -> dict:
    """The call's fields, whole, as the payload's ``arguments``, and an embedding's text as the typed ``input``. Token
    ids cannot be screened: refused rather than sent unread."""
    payload: dict[str, Any] = {}
    if route.typed_input:
        if not _is_text(data.get("input")):
            raise _refusal(400, "the modelgate guardrail screens text embeddings only, not token ids", None, [])
        payload["input"] = data["input"]
    if "messages" in route.fields and not isinstance(data.get("messages"), list):
        raise _refusal(400, "a chat call without a list of messages cannot be screened", None, [])
    if route.operation == "completion" and not _is_text(data.get("prompt")):
        raise _refusal(400, "the modelgate guardrail screens text prompts only, not token ids", None, [])
    if fields:
        payload["arguments"] = {field: _without_approval(field, data[field]) for field in fields}
    return payload


def _without_approval(field: str, value: Any) -> Any:
    """The provider's ``metadata`` without the approval a retry presents there: it is not content, and screening it
    would make the retry's payload differ from the call's the approval is bound to. It is not sent on either."""
    if field == "metadata" and isinstance(value, dict) and APPROVAL_METADATA_KEY in value:
        return {key: item for key, item in value.items() if key != APPROVAL_METADATA_KEY}
    return value


def _requested_tokens(data: dict, route: _Route) -> int | None:
    """The largest token limit the call sets. Each must be a positive integer: a provider may read a string
    ("100000"), or the field the cap did not go into."""
    most = None
    for field in route.token_fields:
        value = data.get(field)
        if value is None:
            continue
        if type(value) is not int or value < 1:
            raise _refusal(400, f"{field} must be a positive integer", None, [])
        most = value if most is None else max(most, value)
    return most


def _cap_tokens(data: dict, route: _Route, cap: Any) -> None:
    """The cap in each token limit the call sets, or in the route's last one when it sets none."""
    if type(cap) is not int or not route.token_fields:
        return
    for field in [f for f in route.token_fields if data.get(f) is not None] or [route.token_fields[-1]]:
        data[field] = cap


def _cleared_fields(sent: dict, redacted: Any, decision_id: Any) -> dict:
    """modelgate's redacted copy of every field sent to it; a 503 for an allow without one of them."""
    missing = _refusal(503, "modelgate allowed the call without the redacted content", decision_id, [])
    if not isinstance(redacted, dict):
        raise missing
    cleared: dict[str, Any] = {}
    if "input" in sent:
        if "input" not in redacted:
            raise missing
        cleared["input"] = redacted["input"]
    if "arguments" in sent:
        arguments = redacted.get("arguments")
        if not isinstance(arguments, dict) or any(field not in arguments for field in sent["arguments"]):
            raise missing
        cleared.update({field: arguments[field] for field in sent["arguments"]})
    return cleared


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


def _tool_names(data: dict) -> list[dict]:
    """Every name of every tool: chat's ``tools[].function.name``, ``tools[].custom.name``, Responses' and
    Anthropic's ``tools[].name``, legacy ``functions[].name``, all that a tool carries, since providers read different
    ones; a built-in tool's ``type`` too, whatever name it is also given; a namespace's name and its tools; and the
    tools a call grants outside ``tools``. A tool it cannot name is refused: the policy must see every tool the
    model may call."""
    names: list[str] = []

    def visit(tool: Any) -> None:
        tool = tool if isinstance(tool, dict) else {}
        function, custom = tool.get("function"), tool.get("custom")
        # A function or custom tool, and a namespace of them, is named by its names alone: its type would let any
        # such tool pass as "function".
        user_defined = function is not None or custom is not None or tool.get("type") in _USER_DEFINED_TOOLS
        found = [n for n in (_name_of(function), _name_of(custom), tool.get("name")) if n is not None]
        if not user_defined and tool.get("type") is not None:
            found.append(tool.get("type"))
        if not found or any(not isinstance(n, str) or not n for n in found):
            raise _refusal(400, "a tool without a name or type cannot be checked by the policy", None, [])
        names.extend(n for n in found if n not in names)
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
    names.extend(n for n in _granted_outside_tools(data) if n not in names)
    return [{"name": name} for name in names]


def _granted_outside_tools(data: dict) -> list[str]:
    """Tools a call grants without listing them in ``tools``: chat's ``web_search_options`` (named as the Responses
    built-in is, ``web_search``), and an Anthropic call's ``mcp_servers``, whose tools the model calls at the
    provider: each named ``mcp`` and by its name. A server without a name is refused, as a tool without one is."""
    names = ["web_search"] if data.get("web_search_options") is not None else []
    servers = data.get("mcp_servers")
    if servers is None:
        return names
    if not isinstance(servers, list):
        raise _refusal(400, "mcp_servers must be a list for the policy to check it", None, [])
    for server in servers:
        name = server.get("name") if isinstance(server, dict) else None
        if not isinstance(name, str) or not name:
            raise _refusal(400, "an MCP server without a name cannot be checked by the policy", None, [])
        names.extend(n for n in ("mcp", name) if n not in names)
    return names


_USER_DEFINED_TOOLS = ("function", "custom", "namespace")


def _name_of(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else None


def _names(value: str | list[str] | None) -> list[str]:
    """A setting that names things: a list, or a comma-separated string."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return list(value or [])


class _UsageTally:
    """The token usage a reply or the chunks of a stream carried. Chunks repeat or grow their counts (an Anthropic
    stream's input in message_start, its output in each message_delta), so the largest of each is kept."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.seen = False
        self._sse = ""

    def add(self, usage: Any) -> None:
        if usage is None:
            return
        self.seen = True
        self.input_tokens = max(self.input_tokens, _first_int(usage, "prompt_tokens", "input_tokens"))
        self.output_tokens = max(self.output_tokens, _first_int(usage, "completion_tokens", "output_tokens"))

    def add_chunk(self, chunk: Any) -> None:
        """A chat chunk's ``usage``, a Responses event's ``response.usage``, or the usage in the server-sent events
        of an Anthropic stream, which LiteLLM passes as bytes."""
        if isinstance(chunk, (bytes, str)):
            self._add_sse(chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk)
            return
        self._add_event(chunk if isinstance(chunk, dict) else None, chunk)

    def _add_event(self, event: dict | None, chunk: Any = None) -> None:
        get = (lambda key: event.get(key)) if event is not None else (lambda key: getattr(chunk, key, None))
        self.add(get("usage"))
        for holder in (get("response"), get("message")):
            self.add(holder.get("usage") if isinstance(holder, dict) else getattr(holder, "usage", None))

    def _add_sse(self, text: str) -> None:
        # An event may be split across chunks: only whole lines are read, the rest waits for the next chunk.
        *lines, self._sse = (self._sse + text).split("\n")
        for line in lines:
            if not line.startswith("data:"):
                continue
            try:
                event = json.loads(line[len("data:") :])
            except ValueError:
                continue
            if isinstance(event, dict):
                self._add_event(event)


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
