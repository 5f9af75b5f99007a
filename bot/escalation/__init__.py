"""Escalation service: hands a conversation from the Rasa bot to a human coach and back.

Contract with the Rasa side: /work/briefs/escalation.md (HTTP only, no shared globals).

    python -m bot coach create --username anna --role admin   # account (argon2 hash)
    python -m bot escalation                                   # service + console on ESCALATION_URL

Modules: `app` (create_app factory, middlewares), `routes` (every route), `internal_api`
(Bearer-protected API for Rasa), `console` (pages, coach API, WebSockets), `service` (case
actions), `store` (database), `sweeper` (drains the outbox; one notice when nobody claims in
time), `login` (one login attempt: throttle and password check),
`hours` (opening hours and Swedish holidays), `texts` (what coaches see; every
user-facing text is in data/content/content.yml, read with `bot.content.text`), `security`,
`settings`. Nothing runs at import.
"""
