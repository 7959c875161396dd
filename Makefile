# Two commands matter (README.md): `make demo` and `make test`.
# Everything goes through bin/stack, which is idempotent.

.PHONY: demo test up down status install

# The CKAN every target runs on: `make test CKAN=2.11` (bin/stack)
CKAN ?= 2.12
export CKAN

demo:    ## the portal on http://127.0.0.1:5000 with a sysadmin account
	bin/stack demo

test:    ## the test suite against real PostgreSQL, Redis and Solr (ARGS=... for pytest)
	bin/stack test $(ARGS)

up:      ## install what is missing and start the services
	bin/stack up

down:    ## stop the services the stack started
	bin/stack down

status:
	bin/stack status

install:
	bin/stack install
