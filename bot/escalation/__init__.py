"""Escalation service: hands a conversation from the Rasa bot to a human coach and back.

Contract with the Rasa side: /work/briefs/escalation.md (HTTP only, no shared globals).

    python -m bot coach create --username anna --role admin   # account (argon2 hash)
    python -m bot escalation                                   # service + console on ESCALATION_URL

Modules: `app` (create_app factory, middlewares), `routes` (every route), `internal_api`
(Bearer-protected API for Rasa and the gateway), `console` (pages, coach API, WebSockets),
`service` (case actions, `CaseService`), `store` (database), `sweeper` (one notice when nobody
claims in time), `login` (one login attempt: throttle and password check), `security`
(password hashes, session cookies, CSRF, headers), `texts` (what coaches see; every user-facing
text is in data/content/content.yml), `settings`, `review/` (the maintainers' inbox and the
statistics; `review/stats_store` holds their SQL). Nothing runs at import.
"""
