# `make run` and `make test` install whatever is missing first (scripts/setup.sh is idempotent).
.PHONY: setup setup-test run test kb eval train nlu-report bench screenshots clean

PY := .venv/bin/python
HOTLINE := .venv/bin/hotline

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh test

run: setup
	$(HOTLINE) serve

test: setup-test
	$(PY) -m pytest -q

kb: setup
	$(HOTLINE) kb build

eval: setup
	$(HOTLINE) eval

train: setup
	$(HOTLINE) rasa train

nlu-report: setup
	$(HOTLINE) rasa nlu-report

# The chat at 390×844 and the staff pages at 1366×900, into var/screenshots/ (not committed).
screenshots: setup-test
	$(PY) benchmarks/screenshots.py

clean:
	rm -rf var/ .pytest_cache
