# Two commands matter (README.md): `make demo` and `make test`.
# Everything goes through bin/stack, which is idempotent.

.PHONY: demo test prod up down status install

# The CKAN every target runs on: `make test CKAN=2.11` (bin/stack)
CKAN ?= 2.12
export CKAN
# The Solr every target runs on: `make test SOLR=cloud`, a 2-node SolrCloud (bin/stack)
SOLR ?= standalone
export SOLR

demo:    ## the portal on http://127.0.0.1:5000 with a sysadmin account
	bin/stack demo

test:    ## the test suite against real PostgreSQL, Redis and Solr (ARGS=... for pytest)
	bin/stack test $(ARGS)

prod:    ## the production layout of deploy/ (supervisor, gunicorn, workers, consumers, scheduler)
	bin/stack prod

up:      ## install what is missing and start the services
	bin/stack up

down:    ## stop the services the stack started
	bin/stack down

status:
	bin/stack status

install:
	bin/stack install
