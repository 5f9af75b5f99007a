"""One HTTP client per API the processes call: Rasa (bot.clients.rasa), escalation
(bot.clients.escalation)."""
