"""The staff dashboard: hotspots, the unanswered queue with curated answers, article heat,
exports, the weekly report, the callback queue, the agent console and the audit log, behind a
staff login."""
from __future__ import annotations


def staff_blueprint():
    """The `/staff` blueprint (imported on call, so importing this package is free)."""
    from bot.dashboard import console  # noqa: F401 - adds the agent console's routes to the blueprint
    from bot.dashboard.views import bp

    return bp
