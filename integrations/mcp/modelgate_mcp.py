"""FastMCP middleware that asks modelgate before every tool call.

For each ``tools/call`` it asks ``POST /v1/decide`` with ``operation: tool_call``, the tool's name and its
arguments. On an allow, the tool runs with the redacted arguments modelgate returns. On a deny (including
``approval_required``), or when modelgate cannot be asked (unreachable, too slow, a 5xx, no token), the
tool does not run and the client gets a tool error naming the reasons and the decision id: it fails closed.

The policy is asked about the name the tool is listed under: an app tool called by its hashed address
(``__<hash>_<name>``) is asked about under its listed name. A call that carries the client's answers to the tool's
questions (``input_responses``, SEP-2322) is refused before modelgate is asked unless ``accept_input_responses``:
the tool reads them from the wire request, so they cannot reach it redacted.

Approvals: a call denied ``approval_required`` names its pending approval. Once an approver has approved it, the
client repeats the same call (same tool, same arguments) with the approval's id in the request's ``_meta``, under
``modelgate/approval_id``; the middleware sends it as ``approval_id``. ``_meta`` is not part of the arguments, so
the screened payload is the first call's and the approval's binding holds.

The token is the MCP server's workload token, ideally exchanged (RFC 8693) for one whose ``act`` claim names
the agent that made the call, so modelgate records the agent as the actor. ``token`` receives the middleware
context, so it can do that exchange per call.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.server.providers.addressing import parse_hashed_backend_name

TokenSupplier = Callable[[MiddlewareContext[Any]], "str | Awaitable[str]"]

# The ``_meta`` key of a tools/call request that presents an approval.
APPROVAL_META_KEY = "modelgate/approval_id"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class ModelgateDenied(ToolError):
    """modelgate denied the tool call (or needs a human approval); the tool did not run."""

    def __init__(self, tool: str, decision_id: str | None, reasons: list[dict[str, Any]], approval: Any = None):
        codes = ", ".join(str(r.get("code")) for r in reasons) or "no reason given"
        messages = "; ".join(str(r["message"]) for r in reasons if r.get("message"))
        text = f"modelgate denied tool {tool} ({codes}){': ' + messages if messages else ''}; decision {decision_id}"
        if approval:
            text += (
                f"; approval {approval.get('id')} is {approval.get('status') or 'pending'}: once approved, repeat "
                f"the call with _meta {{\"{APPROVAL_META_KEY}\": \"{approval.get('id')}\"}}"
            )
        super().__init__(text)
        self.decision_id = decision_id
        self.reasons = reasons
        self.approval = approval


class ModelgateUnavailable(ToolError):
    """modelgate could not decide; the tool did not run."""


class ModelgateUnscreenedInput(ToolError):
    """The call carries the client's answers to the tool's questions, which modelgate cannot screen; the tool did not
    run."""


class ModelgateInvalidApproval(ToolError):
    """The call's ``_meta`` carries an approval id that is not a UUID; modelgate was not asked, the tool did not run."""


class ModelgateMiddleware(Middleware):
    """Asks modelgate before each tool call; runs the tool with the redacted arguments, or refuses."""

    def __init__(
        self,
        base_url: str,
        token: TokenSupplier,
        *,
        model: str = "mcp-tools",
        provider: str | None = None,
        context: dict[str, Any] | None = None,
        timeout_seconds: float = 5.0,
        accept_obligations: tuple[str, ...] = (),
        accept_input_responses: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # redact is enforced here and cap_tokens has nothing to cap on a tool call; any other obligation type must
        # be named as fulfilled elsewhere, or the call is refused: an obligation nobody fulfils is a silent allow.
        self.enforced_obligations = {"redact", "cap_tokens", *accept_obligations}
        self.token = token
        self.model = model
        self.provider = provider
        self.context = context
        self.timeout_seconds = timeout_seconds
        # A round that carries the client's answers to a tool's questions (SEP-2322) is refused unless the server's
        # author says its tools may read them unscreened.
        self.accept_input_responses = accept_input_responses

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        tool = await _listed_name(context)
        if context.message.input_responses and not self.accept_input_responses:
            # A tool reads the answers from the wire request, not from the message this middleware passes on, so
            # they cannot be handed to it redacted: refuse rather than let unscreened client content through.
            raise ModelgateUnscreenedInput(
                f"the modelgate middleware refused tool {tool} (input_responses_not_screened): the call carries the client's answers "
                "to the tool's questions, which reach the tool without modelgate screening them; the tool did not run"
            )
        arguments = context.message.arguments or {}
        approval_id = _approval_id(context)
        invocation: dict[str, Any] = {"model": self.model, "operation": "tool_call", "tools": [{"name": tool}]}
        if self.provider:
            invocation["provider"] = self.provider
        request: dict[str, Any] = {"invocation": invocation, "payload": {"arguments": arguments}}
        if self.context:
            request["context"] = self.context
        if approval_id is not None:
            request["approval_id"] = approval_id

        status, reply = await self._decide(context, request)
        decision_id = reply.get("decision_id")
        reasons = reply.get("reasons") if isinstance(reply.get("reasons"), list) else []
        if 400 <= status < 500 or (status == 200 and reply.get("allow") is False):
            raise ModelgateDenied(tool, decision_id, reasons, reply.get("approval"))
        if status != 200 or reply.get("allow") is not True:
            raise ModelgateUnavailable(f"modelgate could not decide tool {tool} (HTTP {status}); decision {decision_id}")
        obligations = reply.get("obligations") if isinstance(reply.get("obligations"), list) else [None]
        enforced = self.enforced_obligations
        unenforced = [o for o in obligations if not isinstance(o, dict) or o.get("type") not in enforced]
        if unenforced:
            names = ", ".join(str(o.get("type")) if isinstance(o, dict) else "malformed" for o in unenforced)
            reason = {"code": "obligation_not_enforced", "message": f"the middleware cannot fulfil {names}"}
            raise ModelgateDenied(tool, decision_id, [reason])
        redacted = (reply.get("redacted_payload") or {}).get("arguments")
        if arguments and not isinstance(redacted, dict):
            # An allow without the cleared arguments would mean running on what was never screened.
            raise ModelgateUnavailable(f"modelgate allowed tool {tool} without redacted arguments")
        message = context.message.model_copy(update={"arguments": redacted if arguments else arguments})
        return await call_next(context.copy(message=message))

    async def _decide(self, context: MiddlewareContext[Any], request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            token = self.token(context)
            if inspect.isawaitable(token):
                token = await token
        except Exception as error:  # noqa: BLE001 - any failure to get a token is an outage: fail closed
            raise ModelgateUnavailable(f"no token for modelgate: {error}") from error
        try:
            return await asyncio.to_thread(self._post, "/v1/decide", request, str(token))
        except TimeoutError as error:
            message = f"modelgate did not answer within {self.timeout_seconds:g} s at {self.base_url}"
            raise ModelgateUnavailable(message) from error
        except ToolError:
            raise
        except Exception as error:  # noqa: BLE001 - unreachable, timeout, unreadable reply: fail closed
            raise ModelgateUnavailable(f"modelgate did not answer at {self.base_url}: {error}") from error

    def _post(self, route: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode("utf-8")
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        req = urllib.request.Request(f"{self.base_url}{route}", data=data, headers=headers, method="POST")
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_seconds) as res:
                status, text = res.status, _read_within(res, deadline)
        except urllib.error.HTTPError as error:
            status, text = error.code, _read_within(error.fp, deadline) if error.fp else b""
        reply = json.loads(text)
        if not isinstance(reply, dict):
            raise ModelgateUnavailable(f"modelgate answered HTTP {status} with a body that is not a JSON object")
        return status, reply


async def _listed_name(context: MiddlewareContext[Any]) -> str:
    """The name the called tool is listed under, which is the name the policy is written for.

    FastMCP also runs an app tool called by its hashed address, ``__<hash>_<name>``, when no tool is listed under
    that name (as an app's UI calls its backend tools). Asked about the address, a policy that refuses the tool by
    name would let it run; so resolve the address the way FastMCP will, and ask about the tool it finds.
    """
    name = context.message.name
    hashed = parse_hashed_backend_name(name)
    server = context.fastmcp_context.fastmcp if context.fastmcp_context is not None else None
    if hashed is None or server is None or await server.get_tool(name) is not None:
        return name
    tool = await server.get_tool_by_hash(*hashed)
    return tool.name if tool is not None else name


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


def _approval_id(context: MiddlewareContext[Any]) -> str | None:
    """The approval id in the request's ``_meta`` (``modelgate/approval_id``), lower-cased; None when there is none.

    FastMCP keeps the client's ``_meta`` of the request on the request context (``Client.call_tool(..., meta=...)``
    puts it there); the ``_meta`` of ``context.message`` is FastMCP's own (tool versions), not the client's.
    """
    fastmcp_context = context.fastmcp_context
    request_context = fastmcp_context.request_context if fastmcp_context is not None else None
    meta = getattr(request_context, "meta", None)
    if not isinstance(meta, dict) or meta.get(APPROVAL_META_KEY) is None:
        return None
    value = meta[APPROVAL_META_KEY]
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise ModelgateInvalidApproval(
            f"_meta {APPROVAL_META_KEY} must be the id (a UUID) of the approval an earlier denial named; "
            "modelgate was not asked and the tool did not run"
        )
    return value.lower()
