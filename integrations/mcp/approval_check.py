"""Calls a pipeline tool that needs a human approval (the shipped policy's coding assistant) through a real FastMCP
client (in-memory transport) and the modelgate middleware, once per entry of APPROVAL_IDS (a JSON list: null calls
without an approval, a string presents it in ``_meta``), with the same arguments each time; prints one JSON line per
call: what the tool returned, or the tool error the client got. Driven by mcp.test.ts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from fastmcp import Client, FastMCP

from modelgate_mcp import APPROVAL_META_KEY, ModelgateMiddleware

ARGUMENTS = {"pipeline": "webapp-deploy", "timeout_minutes": 20}


def build_server(base_url: str, token: str) -> FastMCP:
    """A server whose one tool, pipelines.update, the shipped entitlements grant only with an approval."""
    mcp = FastMCP("pipelines")
    mcp.add_middleware(
        ModelgateMiddleware(
            base_url,
            lambda _context: token,
            model="anthropic.claude-sonnet",
            context={"environment": "staging", "repository": "corp/webapp"},
            timeout_seconds=2.0,
        )
    )

    @mcp.tool(name="pipelines.update")
    def update_pipeline(pipeline: str, timeout_minutes: int) -> str:
        """Changes a deployment pipeline's timeout."""
        return f"updated {pipeline}: timeout {timeout_minutes} min"

    return mcp


async def main() -> None:
    server = build_server(os.environ["MODELGATE_URL"], os.environ["MODELGATE_TOKEN"])
    async with Client(server) as client:
        for approval_id in json.loads(os.environ.get("APPROVAL_IDS", "[null]")):
            meta = None if approval_id is None else {APPROVAL_META_KEY: approval_id}
            result = await client.call_tool("pipelines.update", ARGUMENTS, raise_on_error=False, meta=meta)
            text = "".join(getattr(part, "text", "") for part in result.content)
            print(json.dumps({"approval_id": approval_id, "is_error": result.is_error, "text": text}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
