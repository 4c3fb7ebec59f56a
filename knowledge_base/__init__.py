"""Policy sources, the parsed knowledge base, and hybrid retrieval over it."""
