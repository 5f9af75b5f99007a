"""Web chat and SMS gateway: the young person's way in to the assistant.

Users write through the web chat page (WebSocket) or by SMS (Twilio, 46elks). The gateway
forwards each message to Rasa's callback channel and is itself the callback receiver: every
bot message, live coach message and service notice for a conversation arrives at
POST /rasa/callback and goes out to the user's page or phone. `create_app` builds the app;
`python -m bot gateway` (bot.gateway.cli.serve) runs it.
"""
