"""Rasa custom actions of hotline12333, served by rasa-sdk: `python -m rasa_sdk --actions bot.actions`.

rasa-sdk imports every submodule of this package and registers each concrete `Action`:

- `dialogue`    small talk, out of scope, 转人工 (handoff), stopping a check
- `policy`      `action_answer_policy`: retrieval over the notice, or an honest abstention
- `eligibility` the one generic `eligibility_form` driven by the rule table (`bot.eligibility`)

Every bot message carries a JSON payload (`payload.py`) with the chat-API fields, which
`bot.conversation` merges into one `Reply`. The answer texts live in `texts.py`.
"""
