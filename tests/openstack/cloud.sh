#!/usr/bin/env bash
# A small, real OpenStack for forewarn's tests: Keystone, Placement, Glance and
# Nova with the fake virt driver, from Debian's own packages, on this machine's
# MariaDB and RabbitMQ. Nova's versioned notifications go to RabbitMQ.
#
#   tests/openstack/cloud.sh install          the packages (once per machine; needs root)
#   tests/openstack/cloud.sh start STATE N    a fresh cloud with N compute hosts, state in STATE
#   tests/openstack/cloud.sh stop             stop it
#
# `start` writes STATE/clouds.yaml (cloud "forewarn-admin") and STATE/env
# (the RabbitMQ URL of Nova's notifications). Every database and the RabbitMQ
# vhost carry the prefix fwos_, made anew at each start.
set -euo pipefail

PKGS="keystone placement-api glance-api nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic"
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3                       # OpenStack runs on Debian's Python
VENV_PY="${VENV_PY:-python3}"             # forewarn's, with openstacksdk: the catalog and the stand-in
DB="mysql+pymysql://root@127.0.0.1"
PASSWORD=fwos-secret
RABBIT_VHOST=fwos
RABBIT="rabbit://fwos:$PASSWORD@127.0.0.1:5672/$RABBIT_VHOST"
KEYSTONE=http://127.0.0.1:5000/v3
# One cloud at a time on this machine (its ports are fixed): its daemons' pids.
RUN=/tmp/forewarn-openstack.run
# Debian's switch that keeps packages' scripts from starting daemons (a test names another).
POLICY_RC=${FOREWARN_POLICY_RC:-/usr/sbin/policy-rc.d}

log() { echo "[openstack $(date +%T)] $*" >&2; }

install() {
  if [ -z "${FOREWARN_REINSTALL:-}" ] && [ -x /usr/bin/nova-compute ] && [ -x /usr/bin/keystone-manage ] \
      && [ -x /usr/bin/glance-api ]; then
    return
  fi
  # No daemon may start from the packages' scripts: this script starts its own. The policy
  # holds only while they install, and goes with them: a host keeps no trace of it, and the
  # packages an operator installs later start their services as Debian means them to.
  local ours=""
  if [ ! -e "$POLICY_RC" ]; then
    printf '#!/bin/sh\n# forewarn test cloud: removed when its packages are installed\nexit 101\n' > "$POLICY_RC"
    chmod +x "$POLICY_RC"
    ours=1
  fi
  for pkg in keystone placement-api glance-api glance-common nova-common placement-common; do
    short=${pkg%-api}; short=${short%-common}
    echo "$pkg $short/configure_db boolean false"
    echo "$pkg $short/register-endpoint boolean false"
  done | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  log "installing $PKGS"
  local status=0
  apt-get install -y -q --no-install-recommends $PKGS >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $PKGS >/dev/null; } \
    || status=$?
  if [ -n "$ours" ]; then rm -f "$POLICY_RC"; fi
  return $status
}

wait_http() {  # url, seconds
  for _ in $(seq 1 $(( $2 * 5 ))); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  log "no answer from $1 within $2 s"; return 1
}

serve() {  # name, log file, command...
  local name=$1 out=$2; shift 2
  setsid "$@" >>"$out" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

uwsgi_app() {  # name, port, wsgi file, [uwsgi's workers: default one process of 4 threads]
  local workers=${4:---processes 1 --threads 4}
  # shellcheck disable=SC2086  # the workers are several words
  serve "$1" "$STATE/log/$1.log" /usr/bin/uwsgi --plugins python3 --http-socket "127.0.0.1:$2" \
    --wsgi-file "$3" $workers --master --die-on-term \
    --add-header "Connection: close" --buffer-size 65535
}

authtoken() {  # service user
  cat <<CONF
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE
auth_url = $KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $PASSWORD
CONF
}

databases() {
  mysql -h 127.0.0.1 -u root <<SQL
DROP DATABASE IF EXISTS fwos_keystone; CREATE DATABASE fwos_keystone;
DROP DATABASE IF EXISTS fwos_placement; CREATE DATABASE fwos_placement;
DROP DATABASE IF EXISTS fwos_glance; CREATE DATABASE fwos_glance;
DROP DATABASE IF EXISTS fwos_nova_api; CREATE DATABASE fwos_nova_api;
DROP DATABASE IF EXISTS fwos_nova; CREATE DATABASE fwos_nova;
DROP DATABASE IF EXISTS fwos_nova_cell0; CREATE DATABASE fwos_nova_cell0;
SQL
  rabbitmqctl -q delete_vhost "$RABBIT_VHOST" >/dev/null 2>&1 || true
  rabbitmqctl -q add_vhost "$RABBIT_VHOST" >/dev/null
  rabbitmqctl -q delete_user fwos >/dev/null 2>&1 || true
  rabbitmqctl -q add_user fwos "$PASSWORD" >/dev/null
  rabbitmqctl -q set_permissions -p "$RABBIT_VHOST" fwos '.*' '.*' '.*' >/dev/null
}

keystone() {
  local dir=$STATE/keystone
  mkdir -p "$dir/fernet-keys" "$dir/credential-keys"
  cat > "$dir/keystone.conf" <<CONF
[DEFAULT]
log_file = $STATE/log/keystone-app.log
[database]
connection = $DB/fwos_keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
CONF
  local manage="$PY /usr/bin/keystone-manage --config-file $dir/keystone.conf"
  # keystone-manage prints eventlet's complaints at exit: noise, kept in the log.
  exec 3>>"$STATE/log/manage.log"
  $manage db_sync 2>&3
  $manage fernet_setup --keystone-user root --keystone-group root 2>&3
  $manage credential_setup --keystone-user root --keystone-group root 2>&3
  $manage bootstrap --bootstrap-password "$PASSWORD" --bootstrap-region-id RegionOne \
    --bootstrap-admin-url $KEYSTONE/ --bootstrap-internal-url $KEYSTONE/ --bootstrap-public-url $KEYSTONE/ 2>&3
  OS_KEYSTONE_CONFIG_DIR=$dir uwsgi_app keystone 5000 /usr/bin/keystone-wsgi-public
}

placement() {
  local dir=$STATE/placement
  mkdir -p "$dir"
  { cat <<CONF
[placement_database]
connection = $DB/fwos_placement
[api]
auth_strategy = keystone
CONF
    authtoken placement; } > "$dir/placement.conf"
  $PY /usr/bin/placement-manage --config-file "$dir/placement.conf" db sync 2>>"$STATE/log/manage.log"
  OS_PLACEMENT_CONFIG_DIR=$dir uwsgi_app placement 8778 /usr/bin/placement-api
}

glance() {
  local dir=$STATE/glance
  mkdir -p "$dir/images" "$dir/staging" "$dir/tasks"
  { cat <<CONF
[DEFAULT]
enabled_backends = file:file
log_file = $STATE/log/glance-app.log
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $dir/images
[os_glance_staging_store]
filesystem_store_datadir = $dir/staging
[os_glance_tasks_store]
filesystem_store_datadir = $dir/tasks
[database]
connection = $DB/fwos_glance
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
CONF
    authtoken glance; } > "$dir/glance-api.conf"
  $PY /usr/bin/glance-manage --config-file "$dir/glance-api.conf" db_sync >>"$STATE/log/manage.log" 2>&1
  serve glance "$STATE/log/glance.log" $PY /usr/bin/glance-api --config-file "$dir/glance-api.conf"
}

nova_databases() {  # nova's configuration and databases: they need no other service, so they are
  # made while keystone, placement and glance start (nova's schema is most of the start-up).
  local dir=$STATE/nova
  mkdir -p "$dir/lock" "$dir/state"
  { cat <<CONF
[DEFAULT]
transport_url = $RABBIT
compute_driver = fake.FakeDriver
# A loaded test machine answers an RPC call slowly, not never: a live migration's
# checks call both compute hosts, and 60 s was seen to run out.
rpc_response_timeout = 180
state_path = $dir/state
my_ip = 127.0.0.1
use_neutron = true
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[glance]
api_servers = http://127.0.0.1:9292
[neutron]
endpoint_override = http://127.0.0.1:9696
auth_type = password
auth_url = $KEYSTONE
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $PASSWORD
[placement]
auth_type = password
auth_url = $KEYSTONE
project_domain_name = Default
user_domain_name = Default
project_name = service
username = placement
password = $PASSWORD
region_name = RegionOne
[notifications]
notification_format = versioned
[oslo_messaging_notifications]
driver = messagingv2
[oslo_concurrency]
lock_path = $dir/lock
[scheduler]
discover_hosts_in_cells_interval = -1
[filter_scheduler]
# A pinned host (az:host) and a disabled service are both honoured.
enabled_filters = AvailabilityZoneFilter,ComputeFilter
[service_user]
send_service_user_token = false
CONF
    authtoken nova; } > "$dir/nova.conf"
  cat > "$dir/nova-db.conf" <<CONF
[api_database]
connection = $DB/fwos_nova_api
[database]
connection = $DB/fwos_nova
CONF
  local conf="--config-file $dir/nova.conf --config-file $dir/nova-db.conf"
  local manage="$PY /usr/bin/nova-manage $conf"
  exec 3>>"$STATE/log/manage.log"
  $manage api_db sync >&3 2>&3
  $manage cell_v2 map_cell0 --database_connection "$DB/fwos_nova_cell0" >&3 2>&3
  $manage cell_v2 create_cell --name cell1 --transport-url "$RABBIT" --database_connection "$DB/fwos_nova" >&3 2>&3
  $manage db sync >&3 2>&3
}

nova_serve() {  # its databases made by nova_databases
  local dir=$STATE/nova hosts=$1
  local conf="--config-file $dir/nova.conf --config-file $dir/nova-db.conf"
  cp /etc/nova/api-paste.ini "$dir/"
  # nova-api waits for an RPC reply (enabling a compute service calls its host) with
  # eventlet, which cannot take the reply in another uwsgi thread: the request then hung
  # until rpc_response_timeout. So processes of one thread each, each loading its own app.
  OS_NOVA_CONFIG_DIR=$dir OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf;nova-db.conf" \
    uwsgi_app nova-api 8774 /usr/bin/nova-api-wsgi "--processes 4 --threads 1 --lazy-apps"
  serve nova-conductor "$STATE/log/nova-conductor.log" $PY /usr/bin/nova-conductor $conf
  serve nova-scheduler "$STATE/log/nova-scheduler.log" $PY /usr/bin/nova-scheduler $conf
  for n in $(seq 1 "$hosts"); do
    local host; host=$(printf 'cmp-%02d' "$n")
    printf '[DEFAULT]\nhost = %s\n' "$host" > "$dir/$host.conf"
    serve "nova-compute-$host" "$STATE/log/nova-compute-$host.log" \
      $PY /usr/bin/nova-compute --config-file "$dir/nova.conf" --config-file "$dir/$host.conf"
  done
}

start() {
  STATE=$1; local hosts=${2:-4}
  stop  # the cloud before, wherever its state was: the ports are the same
  rm -rf "$STATE"; mkdir -p "$STATE/log" "$RUN"
  install
  local began=$SECONDS
  log "databases and the RabbitMQ vhost"
  databases
  nova_databases & local nova_schema=$!
  log "keystone"; keystone
  wait_http http://127.0.0.1:5000/v3 60
  cat > "$STATE/clouds.yaml" <<YAML
clouds:
  forewarn-admin:
    auth:
      auth_url: $KEYSTONE
      username: admin
      password: $PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
YAML
  echo "FOREWARN_TEST_NOVA_NOTIFICATIONS=amqp://fwos:$PASSWORD@127.0.0.1:5672/$RABBIT_VHOST" > "$STATE/env"
  log "service users and the catalog"
  OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml "$VENV_PY" "$HERE/catalog.py" "$PASSWORD"
  serve neutron "$STATE/log/neutron.log" "$VENV_PY" "$HERE/neutron_standin.py" 9696
  log "placement, glance"; placement; glance
  wait_http http://127.0.0.1:8778 60; wait_http http://127.0.0.1:9292 60
  wait "$nova_schema" || { log "nova's databases could not be made; see $STATE/log/manage.log"; exit 1; }
  log "nova with $hosts compute hosts"; nova_serve "$hosts"
  wait_http http://127.0.0.1:8774 120
  local dir=$STATE/nova
  local manage="$PY /usr/bin/nova-manage --config-file $dir/nova.conf --config-file $dir/nova-db.conf"
  for _ in $(seq 1 120); do
    $manage cell_v2 discover_hosts >/dev/null 2>&1 || true
    [ "$($manage cell_v2 list_hosts 2>/dev/null | grep -c ' cmp-')" -ge "$hosts" ] && break
    sleep 1
  done
  [ "$($manage cell_v2 list_hosts 2>/dev/null | grep -c ' cmp-')" -ge "$hosts" ] \
    || { log "compute hosts did not register; see $STATE/log"; exit 1; }
  log "up in $(( SECONDS - began )) s"
}

stop() {
  # Every daemon is the leader of its own process group; oslo's services can
  # take their time over SIGTERM, so they get five seconds, then SIGKILL.
  local groups=()
  for pidfile in "$RUN"/*.pid; do
    [ -e "$pidfile" ] || continue
    groups+=("$(cat "$pidfile")")
    rm -f "$pidfile"
  done
  [ ${#groups[@]} -gt 0 ] || return 0
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for _ in $(seq 1 25); do
    local alive=0
    for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.2
  done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?STATE dir}" "${3:-4}" ;;
  stop) stop ;;
  *) echo "usage: $0 install | start STATE [HOSTS] | stop" >&2; exit 2 ;;
esac
