"""Speech in and out: recognisers, VAD, endpointing, resampling, Piper, prompt cache, pools."""
