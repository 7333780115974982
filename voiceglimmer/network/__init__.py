"""The home network: rooms served through Wyoming satellites, and Home Assistant.

One module per part: ``rooms`` (one assistant, a conversation per room),
``satellite`` (a satellite's microphone and speaker as the speech loop's
source and sink), ``handle`` (the Wyoming handle service) and ``server``
(all of them on one asyncio loop for ``voiceglimmer serve``).
"""
