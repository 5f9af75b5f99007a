"""After login the console redirects only to a path on this site (no open redirect)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from escalation_helpers import CSRF_INPUT

from tests.security.conftest import tried


# what a browser makes of a Location header: tabs and newlines dropped, "\" read as "/"
def browser_location(value: str) -> str:
    return "".join(c for c in value if c not in "\t\n\r").replace("\\", "/")


ATTACKS = [
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example",
    "/\\evil.example", "\\/evil.example", "https://evil.example/", "/ /evil.example",
    "/%09/evil.example", "///evil.example", "http:/evil.example", "javascript:alert(1)",
    "\t//evil.example", "/\x00/evil.example",
]


async def _login(env: Any, next_path: str) -> Any:
    """Log the coach in from the login page with `next` set; the response, not followed."""
    await env.create_coach("anna")
    client = await env.make_client()
    page = await client.get("/login")
    csrf = CSRF_INPUT.search(await page.text())
    assert csrf
    return await client.post("/login", data={
        "username": "anna", "password": "correct horse battery",
        "csrf_token": csrf.group(1), "next": next_path}, allow_redirects=False)


@pytest.mark.parametrize("target", ATTACKS)
async def test_login_never_redirects_off_site(env, target: str) -> None:
    resp = await _login(env, target)
    location = resp.headers.get("Location", "")
    seen = browser_location(location)
    tried(f"POST /login next={target!r}", f"{resp.status} Location {location!r}")
    assert resp.status == 302
    assert seen.startswith("/") and not seen.startswith("//")
    assert not urlsplit(seen).netloc and not urlsplit(seen).scheme


async def test_login_keeps_a_local_next(env) -> None:
    resp = await _login(env, "/cases/abc?x=1")
    assert resp.headers["Location"] == "/cases/abc?x=1"
