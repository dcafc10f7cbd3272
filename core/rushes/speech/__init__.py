"""Speech operators: voice activity (Silero VAD), transcription to subtitles (Whisper via
faster-whisper) and scratch voice (Piper, or flite)."""
