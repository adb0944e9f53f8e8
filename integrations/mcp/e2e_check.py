"""Calls the example server's three tools through a real FastMCP client (in-memory transport) and prints
one JSON line per call: what the tool returned, or the tool error the client got. Driven by mcp.test.ts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from fastmcp import Client

from example_server import build_server

CALLS = [
    ("search_tickets", {"query": os.environ.get("SEARCH_QUERY", "")}),
    ("refund_payment", {"order": "A-42", "amount": 12.5}),
    ("delete_database", {"name": "prod"}),
    ("export_report", {"name": "q3"}),
]


async def main() -> None:
    server = build_server(os.environ["MODELGATE_URL"], os.environ["MODELGATE_TOKEN"], timeout_seconds=2.0)
    async with Client(server) as client:
        for tool, arguments in CALLS:
            result = await client.call_tool(tool, arguments, raise_on_error=False)
            text = "".join(getattr(part, "text", "") for part in result.content)
            print(json.dumps({"tool": tool, "is_error": result.is_error, "text": text}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
