"""Human service behind 转人工: the desk (`desk.HandoffDesk`, owned by `Services.handoff`), the
agent console in the staff dashboard (`bot/dashboard/console.py`), the citizen's live view
(`citizen.py`) and agents' replies to WeChat (`wechat.py`). The phone reaches people through
`<Dial>` and voicemail (`ivr/flow.py`); its callback desk is the dashboard's 回电队列.
"""
from __future__ import annotations

# The lowest dashboard role that answers citizens and calls them back (sees full numbers).
AGENT_ROLE = "agent"
CALLBACK_ROLE = AGENT_ROLE

