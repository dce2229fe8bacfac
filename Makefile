# The two commands of the README, and a few more for developers.
#   make run    set up, build (release) and reproduce the study quickly (tracker reproduce --quick)
#   make test   set up and run the whole test suite
.PHONY: run test build bench setup clean

setup:
	@scripts/setup

build: setup
	swift build -c release --product tracker

run: build
	.build/release/tracker reproduce --quick

test: setup
	swift test

bench: setup
	scripts/bench
	scripts/bench_statistics

clean:
	rm -rf .build
