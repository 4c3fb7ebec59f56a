"""The hotspot log (every turn on every channel) and its analysis: clusters, unanswered queue, article heat.

Modules: `db` (tables, engine, migrations), `masking` and `pseudonym` (personal data never stored raw),
`log` (the non-blocking `TurnLog`), `clustering` and `analysis` (the figures), `curated` (staff answers
served ahead of retrieval), `cli` (`hotline hotspots`).
"""
