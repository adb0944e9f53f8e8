"""A small MCP server guarded by modelgate: three tools, one allowed with redaction, one that needs a
human approval, one that is not allowed (under integrations/testdata/gate-policy). Used by the end-to-end test.

Run: MODELGATE_URL=http://127.0.0.1:8080 MODELGATE_TOKEN=<jwt> python example_server.py
"""

from __future__ import annotations

import os

from fastmcp import FastMCP

from modelgate_mcp import ModelgateMiddleware


def build_server(base_url: str, token: str, timeout_seconds: float = 5.0) -> FastMCP:
    """Returns the example server with the modelgate middleware in front of its tools."""
    mcp = FastMCP("tickets")
    mcp.add_middleware(ModelgateMiddleware(base_url, lambda _context: token, timeout_seconds=timeout_seconds))

    @mcp.tool
    def search_tickets(query: str) -> str:
        """Searches support tickets; echoes the query it was given, so a test can see what arrived."""
        return f"searched for: {query}"

    @mcp.tool
    def refund_payment(order: str, amount: float) -> str:
        """Refunds an order."""
        return f"refunded {amount} on {order}"

    @mcp.tool
    def delete_database(name: str) -> str:
        """Deletes a database."""
        return f"deleted {name}"

    @mcp.tool
    def export_report(name: str) -> str:
        """Exports a report; the policy allows it with an obligation of its own (watermark)."""
        return f"exported {name}"

    return mcp


if __name__ == "__main__":
    build_server(os.environ["MODELGATE_URL"], os.environ["MODELGATE_TOKEN"]).run()
