"""hotline12333: the conversation core, channels, hotspot log and staff dashboard."""
