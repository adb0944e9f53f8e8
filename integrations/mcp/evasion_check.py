"""Calls a server guarded by the modelgate middleware the ways a client might try to run a tool, or give one content,
that modelgate did not clear; prints one JSON line per call: what the tool returned, or the tool error the client got.
Driven by mcp.test.ts, against the gate policy (delete_database is not allowed, e-mail addresses are redacted).

- A FastMCP app tool is callable by its hashed address ``__<hash>_<name>`` as well as by its listed name.
- A guard tool (SEP-2322) asks the client for input; the client's answer comes back on a second ``tools/call``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import mcp_types as mt
from fastmcp import Client, Context, FastMCP
from fastmcp.apps.app import FastMCPApp
from fastmcp.server.providers.addressing import hashed_backend_name

from modelgate_mcp import ModelgateMiddleware

EMAIL = "jane.doe@example.com"


def build_server(base_url: str, token: str, accept_input_responses: bool) -> FastMCP:
    """Returns a server with an app ("ops") of two tools and a guard tool, the modelgate middleware in front."""
    mcp = FastMCP("ops")
    mcp.add_middleware(
        ModelgateMiddleware(
            base_url, lambda _context: token, timeout_seconds=2.0, accept_input_responses=accept_input_responses
        )
    )
    app = FastMCPApp("ops")

    @app.tool(model=True)
    def delete_database(name: str) -> str:
        """Deletes a database."""
        return f"deleted {name}"

    @app.tool(model=True)
    def search_tickets(query: str) -> str:
        """Searches support tickets; echoes the query it was given."""
        return f"searched for: {query}"

    mcp.add_provider(app)

    @mcp.tool
    async def lookup_customer(query: str, ctx: Context) -> Any:
        """Asks the client which customer it means, then echoes what it was given."""
        if ctx.input_responses is None:
            question = mt.ElicitRequestFormParams(
                message="Which customer's e-mail address?",
                requested_schema={"type": "object", "properties": {"email": {"type": "string"}}},
            )
            return mt.InputRequiredResult(input_requests={"customer": mt.ElicitRequest(params=question)})
        answer = ctx.input_responses["customer"]
        return f"looked up {query} for {getattr(answer, 'content', answer)}"

    return mcp


async def answer_with_email(_message: str, _response_type: Any, _params: Any, _context: Any) -> dict[str, str]:
    """The client's answer to the guard tool: an e-mail address, which the policy redacts in arguments."""
    return {"email": EMAIL}


async def main() -> None:
    accept = os.environ.get("ACCEPT_INPUT_RESPONSES") == "1"
    server = build_server(os.environ["MODELGATE_URL"], os.environ["MODELGATE_TOKEN"], accept)
    calls = [
        ("delete_database", {"name": "prod"}),
        (hashed_backend_name("ops", "delete_database"), {"name": "prod"}),
        (hashed_backend_name("ops", "search_tickets"), {"query": f"tickets from {EMAIL}"}),
        ("lookup_customer", {"query": "refund status"}),
    ]
    async with Client(server, elicitation_handler=answer_with_email) as client:
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments, raise_on_error=False)
            text = "".join(getattr(part, "text", "") for part in result.content)
            print(json.dumps({"tool": tool, "is_error": result.is_error, "text": text}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
