"""Texts coaches see in the console (Swedish), written by the service into case events.

Every text the young person sees lives in data/content/content.yml and is read with
`bot.content.text(name, lang)`; never put a user-facing text or a phone number here.
"""

from __future__ import annotations

# the user was told at once (by the Rasa action) that nobody can answer now
USER_TOLD_UNAVAILABLE = (
    "Ingen coach kunde ta emot när ärendet öppnades. Användaren har fått besked om det, "
    "med stödnummer dygnet runt. Ärendet är kvar i kön."
)
# the sweeper sent the one timeout notice
USER_TOLD_TIMEOUT = (
    "Ingen coach tog ärendet i tid. Användaren har fått besked om det, med stödnummer "
    "dygnet runt. Ärendet är kvar i kön."
)
# the request waited in the caller's retry queue: the service was down when the user asked
FROM_RETRY_QUEUE = (
    "Ärendet köades medan tjänsten var nere och har öppnats nu. Användaren fick då besked "
    "om att förfrågan är sparad, med stödnummer."
)
PAUSE_FAILED = (
    "Varning: chattboten kunde inte pausas (den svarar inte just nu). Boten kan svara "
    "användaren samtidigt som du. Försök skriva ändå; lämna tillbaka eller avsluta när boten "
    "svarar igen."
)
USER_LEFT = "Användaren skrev ”{word}” och har lämnat coachchatten. Ärendet är avslutat."
USER_LEFT_RESUME_FAILED = (
    "Användaren skrev ”{word}” för att lämna coachchatten, men chattboten svarar inte just nu. "
    "Ärendet är kvar öppet: avsluta det när boten svarar igen, så får användaren tillbaka "
    "chattboten."
)
NOT_DELIVERED = (
    "Varning: meddelandet sparades i samtalet men kunde inte levereras direkt. Användaren "
    "skriver via kanalen ”{channel}”, som bara svarar när hen själv skriver; hen ser det "
    "inte förrän då, kanske aldrig."
)
TRANSFERRED = "{by} lämnade över ärendet till {to}. Bara {to} kan läsa och skriva i det nu."
# the SMS provider accepted an SMS and later reported that it did not reach the phone
SMS_NOT_DELIVERED = (
    "Varning: ett SMS kom inte fram till användaren (operatören svarade ”{status}”{code}). "
    "{what} Användarens telefon kan vara avstängd eller numret bytt. Du kan skriva igen "
    "senare."
)
SMS_NOT_DELIVERED_COACH = "Det gäller ditt meddelande som är märkt ”kom inte fram”."
SMS_NOT_DELIVERED_BOT = "Det gäller ett svar från chattboten."
