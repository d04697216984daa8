# The two entry points of the README's quick start. Everything else lives in the justfile.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all bootstrap run test
all: test

bootstrap:
	@bash scripts/bootstrap.sh

## make run: the main job (an end-to-end demo; see README.md).
run: bootstrap
	just run

## make test: every test and check, as CI runs them.
test: bootstrap
	just test
