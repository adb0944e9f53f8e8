"""Calls a server guarded by the modelgate middleware the ways a client might try to run a tool, or give one content,
that modelgate did not clear; prints one JSON line per call: what the tool returned, or the tool error the client got.
Driven by mcp.test.ts, against the gate policy (delete_database is not allowed, e-mail addresses are redacted).

- A FastMCP app tool is callable by its hashed address ``__<hash>_<name>`` as well as by its listed name.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from fastmcp import Client, FastMCP
from fastmcp.apps.app import FastMCPApp
from fastmcp.server.providers.addressing import hashed_backend_name

from modelgate_mcp import ModelgateMiddleware

EMAIL = "jane.doe@example.com"


def build_server(base_url: str, token: str) -> FastMCP:
    """Returns a server with an app ("ops") of two tools, the modelgate middleware in front."""
    mcp = FastMCP("ops")
    mcp.add_middleware(ModelgateMiddleware(base_url, lambda _context: token, timeout_seconds=2.0))
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
    return mcp


async def main() -> None:
    server = build_server(os.environ["MODELGATE_URL"], os.environ["MODELGATE_TOKEN"])
    calls = [
        ("delete_database", {"name": "prod"}),
        (hashed_backend_name("ops", "delete_database"), {"name": "prod"}),
        (hashed_backend_name("ops", "search_tickets"), {"query": f"tickets from {EMAIL}"}),
    ]
    async with Client(server) as client:
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments, raise_on_error=False)
            text = "".join(getattr(part, "text", "") for part in result.content)
            print(json.dumps({"tool": tool, "is_error": result.is_error, "text": text}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
