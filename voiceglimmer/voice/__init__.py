"""The voice: sound in, words out, words in, sound out.

A spoken glimmer flows through these modules in order: ``audio`` (the shared
audio types) and ``mic`` (microphone, WAV file or stdin) -> ``wake`` (the wake
phrase and "stop") -> ``asr`` (Vosk recognition) -> the dialog -> ``tts``
(speech synthesis) -> ``speaker`` (sound card or WAV file), joined by
``loop``. ``speech_models`` finds and fetches the recognition models. This
package may use the dialog and the store, never the commands.
"""
