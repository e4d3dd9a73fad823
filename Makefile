# Two commands on a fresh machine with Python >= 3.11 and make:
#   make demo   the main job on embedded defaults
#   make test   the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test workers side by side: the suite mostly waits (for servers, timers, mail), so more
# workers than cores pay; what cannot share runs in one worker (tests/conftest.py, GROUPS).
TEST_WORKERS ?= 4

# Root installs system packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: docs say-test-packages say-demo-packages install browser mailserver openstack calendars kubernetes container-tools image test lint demo demo-openstack schemas bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(STAMP)

# The browser test drives Debian's Chromium through Playwright, which never
# downloads a browser. If this fails, that test fails and says why.
browser:
	@command -v chromium >/dev/null || $(SUDO) apt-get install -y --no-install-recommends chromium \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; } \
		|| echo "warning: could not install chromium; the status page's browser test will fail" >&2

# The replies tests read a real mailbox: Debian's Dovecot, started by the tests
# on a free port with a throw-away config (tests/integration/imap.py). If this
# fails, those tests fail and say why.
mailserver:
	@command -v dovecot >/dev/null || $(SUDO) apt-get install -y --no-install-recommends dovecot-imapd \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends dovecot-imapd; } \
		|| echo "warning: could not install dovecot; the replies tests will fail" >&2

# The OpenStack tests run a small real cloud from Debian's packages (Keystone,
# Placement, Glance, Nova with the fake driver): tests/openstack/cloud.sh. If
# this fails, those tests fail and say why.
openstack:
	@$(SUDO) bash tests/openstack/cloud.sh install \
		|| echo "warning: could not install OpenStack; the tests in tests/openstack will fail" >&2

# The tests read recurring invitations with ical.js (as Thunderbird does): Node.js
# from Debian if missing, and tests/js's locked packages. circuit-maintenance-parser
# gets a venv of its own, made by the tests themselves (tests/calendars.py). If
# this fails, those tests fail and say why.
calendars:
	@command -v node >/dev/null || $(SUDO) apt-get install -y --no-install-recommends nodejs npm \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nodejs npm; } \
		|| echo "warning: could not install Node.js; the calendar tests will fail" >&2
	@cd tests/js && npm ci --no-audit --no-fund --loglevel=error \
		|| echo "warning: could not install ical.js; the calendar tests will fail" >&2

# tests/deploy renders deploy/kubernetes with kubectl's kustomize (Debian's kubernetes-client
# if kubectl is missing). If this fails, those tests fail and say why.
kubernetes:
	@command -v kubectl >/dev/null || $(SUDO) apt-get install -y --no-install-recommends kubernetes-client \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends kubernetes-client; } \
		|| echo "warning: could not install kubectl; the Kubernetes tests will fail" >&2

# The image is built and run with Debian's podman, runc (podman's default runtime cannot run
# here), the dnsname plugin (compose's containers find each other by name on Debian's CNI
# networks), catatonit (the pause process of `podman kube play`'s pods) and mmdebstrap (a
# local base where no registry answers). If this fails, the deploy tests fail and say why.
CONTAINER_PACKAGES := podman runc uidmap catatonit mmdebstrap golang-github-containernetworking-plugin-dnsname
container-tools:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v mmdebstrap >/dev/null \
		&& test -x /usr/lib/cni/dnsname && command -v catatonit >/dev/null \
		|| $(SUDO) apt-get install -y --no-install-recommends $(CONTAINER_PACKAGES) \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(CONTAINER_PACKAGES); } \
		|| echo "warning: could not install $(CONTAINER_PACKAGES); the deploy tests will fail" >&2

# forewarn's image (deploy/Containerfile), from a wheelhouse built here: prints its name.
image: $(STAMP) container-tools
	@deploy/image.sh

lint: $(STAMP)
	$(BIN)/ruff check services schemas tests bench examples docs/hooks
	$(BIN)/lint-imports

# The documentation site (MkDocs, Material) into .site/; --strict fails on a broken link or a
# page left out of the nav. Its reference pages are written from the code as it builds.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Said before anything is installed: what these targets add to the machine, and why (README).
say-test-packages:
	@echo "make test installs, where missing, with apt-get: dovecot-imapd (a mailbox), chromium (the browser test), Debian's OpenStack (the test cloud), nodejs and npm (ical.js), kubernetes-client (kustomize), podman and its tools (the image); see README.md"
say-demo-packages:
	@echo "make demo installs, where missing, with apt-get: dovecot-imapd (the organizer's mailbox); see README.md"

test: say-test-packages $(STAMP) lint docs browser mailserver openstack calendars kubernetes container-tools
	$(BIN)/python -m forewarn.services.contracts --check
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=15

demo: say-demo-packages $(STAMP) mailserver
	$(BIN)/python examples/demo.py

# The OpenStack story, against the test cloud of tests/openstack: sync, book, a
# server boots onto the host and its project is invited, the host's compute
# service is disabled while the work runs.
demo-openstack: $(STAMP) openstack
	$(BIN)/python examples/demo_openstack.py

schemas: $(STAMP)
	$(BIN)/python -m forewarn.services.contracts

bench: $(STAMP)
	$(BIN)/python bench/impact.py

clean:
	rm -rf $(VENV) .venv-maintnote tests/js/node_modules .forewarn .pytest_cache .ruff_cache
