# The two commands of the README, and a few finer-grained ones.
.PHONY: run test check test-e2e build services

run:        ## build what is missing and start the store (embedded default)
	scripts/run.sh

test:       ## every test: cargo (SQLite+PostgreSQL, MQTT brokers, Redis) and Playwright
	scripts/test.sh

check:      ## formatting, cargo-deny (licenses, bans, sources, advisories) and clippy, as CI runs them first
	scripts/checks.sh

test-e2e:   ## browser tests only, against the last build
	scripts/e2e.sh

build:      ## the site (WASM client, CSS) and the server binary
	scripts/build-site.sh

services:   ## start the test servers (PostgreSQL, Redis, Mosquitto) that do not answer
	scripts/services.sh ensure
