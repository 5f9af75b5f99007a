"""Passwords, session cookies, CSRF tokens and security headers.

Sessions live in the database (only a SHA-256 of the token is stored); the cookie carries the
token plus an HMAC with SESSION_SECRET so that forged cookies are rejected without a DB query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.escalation import keys

SESSION_COOKIE = "coach_session"
LOGIN_CSRF_COOKIE = "login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

_hasher: PasswordHasher | None = None


def password_hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (created lazily, not at import)."""
    global _hasher
    if _hasher is None:
        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return password_hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def cookie_value(secret: str, token: str) -> str:
    return f"{token}.{_sign(secret, token)}"


def token_from_cookie(secret: str, value: str | None) -> str | None:
    """The session token if the cookie's signature is valid, else None."""
    if not value or "." not in value:
        return None
    token, _, sig = value.rpartition(".")
    if not token or not tokens_equal(sig, _sign(secret, token)):
        return None
    return token


def tokens_equal(a: str | None, b: str | None) -> bool:
    """Constant-time comparison; as bytes, since compare_digest refuses non-ASCII strings
    (a forged token or cookie with such characters was a 500, found by tests/fuzz)."""
    return bool(a) and bool(b) and hmac.compare_digest(
        str(a).encode("utf-8", "surrogatepass"), str(b).encode("utf-8", "surrogatepass"))


def set_cookie(
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    secure: bool,
    max_age: int | None = None,
    path: str = "/",
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, samesite="Strict", secure=secure
    )


HSTS = "max-age=31536000; includeSubDomains"


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: every response, errors and static files included. In
    production (served over TLS) HSTS too, so a browser never falls back to plain HTTP."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if request.app[keys.SETTINGS].production:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
