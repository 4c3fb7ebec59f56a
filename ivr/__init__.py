"""The Mandarin voice flow on Twilio."""
