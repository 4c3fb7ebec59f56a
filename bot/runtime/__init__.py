"""The runtime: the object graph (`services`), the supervisor and its children (`serve`,
`procgroup`), the Rasa NLU process (`rasa_process`, `rasa_cli`), the `hotline` CLI, `doctor` and
the heap freeze for gunicorn's workers. The app factory, the composition root, is `bot.app`."""
