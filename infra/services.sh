#!/usr/bin/env bash
# Starts, stops and reports the services provstream needs: Kafka (KRaft), ClickHouse, Redis.
#
#   infra/services.sh up [--ephemeral] [--with-postgres]   start what is not running (safe to run twice)
#   infra/services.sh postgres-up        start only PostgreSQL (the bench-graph baseline; not part of `up`)
#   infra/services.sh down               stop what this checkout started (PostgreSQL included)
#   infra/services.sh status             one line per service
#   infra/services.sh env                print the connection URLs as shell exports
#
# How each service is provided, in order of precedence:
#   1. KAFKA_BROKERS / CLICKHOUSE_URL / REDIS_URL set in the environment: used as they are.
#   2. A Docker engine answers: `docker compose` with docker-compose.yml (current images).
#   3. Otherwise natively (../shared/INFRA.md): Kafka jars from Maven Central cached in
#      .cache/kafka/libs, ClickHouse and Redis from Debian, each with a config, data dir and log
#      under .run/<service>, bound to 127.0.0.1.
# --ephemeral starts Redis without persistence (tests); the default keeps an append-only file.
# Every failure ends with one line saying what to do, and a non-zero exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN=${PROVSTREAM_RUN_DIR:-$ROOT/.run}
CACHE=${PROVSTREAM_CACHE_DIR:-$ROOT/.cache}
KAFKA_PORT=${PROVSTREAM_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${PROVSTREAM_KAFKA_CONTROLLER_PORT:-19093}
CH_HTTP_PORT=${PROVSTREAM_CLICKHOUSE_PORT:-18123}
CH_TCP_PORT=${PROVSTREAM_CLICKHOUSE_TCP_PORT:-19000}
REDIS_PORT=${PROVSTREAM_REDIS_PORT:-16379}
PG_PORT=${PROVSTREAM_POSTGRES_PORT:-15432}
KAFKA_HEAP=${PROVSTREAM_KAFKA_HEAP:-1g}
KAFKA_VERSION=3.9.1

say() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

docker_engine() { command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Fails with one line if the port is taken by something that is not ours.
ensure_port_free() { # port what pidfile envhint
  if port_open "$1"; then
    local holder
    holder=$(ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1)
    die "port $1 for $2 is in use${holder:+ by $holder}; stop that process, or set $3 to another port (or $4 to use that server)"
  fi
}

wait_for() { # description seconds command...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

need_packages() { # binary package...
  local bin=$1; shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "$bin is missing; run: sudo apt-get install -y $* (or set the service URL in env)"
  say "installing $* from Debian (once)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$RUN/apt.log" 2>&1 ||
         { apt-get update -qq >>"$RUN/apt.log" 2>&1 &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$RUN/apt.log" 2>&1; }; }; then
    die "apt-get install $* failed (see $RUN/apt.log); install it by hand or set the service URL in env"
  fi
}

# ---------------------------------------------------------------- Kafka
kafka_jars() {
  local libs=$CACHE/kafka/libs
  if [ -f "$libs/.complete-$KAFKA_VERSION" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed once to fetch the Kafka jars; run: apt-get install -y maven"
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into $libs (once)"
  rm -rf "$libs" && mkdir -p "$libs"
  mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime >"$RUN/kafka-mvn.log" 2>&1 ||
    die "could not fetch the Kafka jars (see $RUN/kafka-mvn.log); check access to Maven Central"
  touch "$libs/.complete-$KAFKA_VERSION"
}

kafka_up() {
  local dir=$RUN/kafka
  if pid_alive "$dir/pid" && port_open "$KAFKA_PORT"; then say "kafka already running on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  command -v java >/dev/null 2>&1 || die "Java 17+ is needed for Kafka; run: apt-get install -y openjdk-17-jre-headless"
  ensure_port_free "$KAFKA_PORT" Kafka PROVSTREAM_KAFKA_PORT KAFKA_BROKERS
  ensure_port_free "$KAFKA_CONTROLLER_PORT" "the Kafka controller" PROVSTREAM_KAFKA_CONTROLLER_PORT KAFKA_BROKERS
  kafka_jars
  mkdir -p "$dir/data" "$dir/log"
  sed -e "s#__RUN__#$dir#g" -e "s#__PORT__#$KAFKA_PORT#g" -e "s#__CONTROLLER_PORT__#$KAFKA_CONTROLLER_PORT#g" \
    "$ROOT/infra/kafka/server.properties" >"$dir/server.properties"
  local cp="$CACHE/kafka/libs/*"
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cid
    cid=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    java -cp "$cp" -Dlog4j.configuration="file:$ROOT/infra/kafka/log4j.properties" -Dkafka.logs.dir="$dir/log" \
      kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" >"$dir/log/format.log" 2>&1 ||
      die "formatting the Kafka log dir failed (see $dir/log/format.log); remove $dir and retry"
  fi
  : >"$dir/log/server.log"
  nohup java -Xmx"$KAFKA_HEAP" -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/infra/kafka/log4j.properties" -Dkafka.logs.dir="$dir/log" \
    -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  say "starting kafka (pid $(cat "$dir/pid")), log $dir/log/server.log"
  wait_for kafka 90 grep -q 'started (kafka.server.KafkaRaftServer)\|Kafka Server started' "$dir/log/server.log" ||
    { pid_alive "$dir/pid" || tail -5 "$dir/log/stdout.log" >&2; die "kafka did not start within 90 s (see $dir/log/server.log)"; }
}

# ---------------------------------------------------------------- ClickHouse
ch_ping() { curl -fsS "http://127.0.0.1:$CH_HTTP_PORT/ping" | grep -q Ok; }

clickhouse_up() {
  local dir=$RUN/clickhouse
  if pid_alive "$dir/pid" && ch_ping 2>/dev/null; then say "clickhouse already running on 127.0.0.1:$CH_HTTP_PORT"; return 0; fi
  need_packages clickhouse-server clickhouse-server clickhouse-client
  ensure_port_free "$CH_HTTP_PORT" "ClickHouse HTTP" PROVSTREAM_CLICKHOUSE_PORT CLICKHOUSE_URL
  ensure_port_free "$CH_TCP_PORT" "ClickHouse native" PROVSTREAM_CLICKHOUSE_TCP_PORT CLICKHOUSE_URL
  mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
  sed -e "s#__RUN__#$dir#g" -e "s#__HTTP_PORT__#$CH_HTTP_PORT#g" -e "s#__TCP_PORT__#$CH_TCP_PORT#g" \
    "$ROOT/infra/clickhouse/config.xml" >"$dir/config.xml"
  cp "$ROOT/infra/clickhouse/users.xml" "$dir/users.xml"
  # exec: the recorded pid is the server itself, not a shell waiting for it.
  (cd "$dir" && exec clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 </dev/null) &
  echo $! >"$dir/pid"
  say "starting clickhouse (pid $(cat "$dir/pid")), log $dir/log/clickhouse-server.log"
  wait_for clickhouse 60 ch_ping ||
    die "clickhouse did not answer within 60 s (see $dir/log/clickhouse-server.err.log)"
}

# ---------------------------------------------------------------- Redis
redis_up() {
  local dir=$RUN/redis persist=$1
  if pid_alive "$dir/pid" && redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    say "redis already running on 127.0.0.1:$REDIS_PORT"; return 0
  fi
  need_packages redis-server redis-server
  ensure_port_free "$REDIS_PORT" Redis PROVSTREAM_REDIS_PORT REDIS_URL
  mkdir -p "$dir"
  local opts=(--save "" --appendonly no)
  [ "$persist" = yes ] && opts=(--save "" --appendonly yes --appendfsync everysec)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/pid" --logfile "$dir/redis.log" "${opts[@]}" >/dev/null ||
    die "redis-server failed to start (see $dir/redis.log)"
  wait_for redis 20 sh -c "redis-cli -p $REDIS_PORT ping | grep -q PONG" ||
    die "redis did not answer within 20 s (see $dir/redis.log)"
  say "redis running on 127.0.0.1:$REDIS_PORT"
}

# ---------------------------------------------------------------- PostgreSQL (bench-graph only)
# Debian's PostgreSQL with a data dir under .run/postgres owned by the postgres OS user
# (PostgreSQL refuses to run as root), on 127.0.0.1:$PG_PORT, trust auth for local connections.
# Started only when asked (--with-postgres or postgres-up): no service needs it, only the
# recursive-CTE baseline of `make bench-graph`.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

postgres_up() {
  local dir=$RUN/postgres bin
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    say "postgres already running on 127.0.0.1:$PG_PORT"; return 0
  fi
  [ -n "$bin" ] || { need_packages initdb postgresql; bin=$(pg_bin); }
  [ -x "$bin/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql; run: apt-get install -y postgresql (or set POSTGRES_URL)"
  if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || die "user postgres is missing; run: apt-get install -y postgresql"; fi
  ensure_port_free "$PG_PORT" PostgreSQL PROVSTREAM_POSTGRES_PORT POSTGRES_URL
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      die "initdb failed (see $dir/initdb.log); remove $dir and retry"
  fi
  # Throwaway benchmark data: durability settings off (faster loads; queries are unaffected).
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB" \
    >"$dir/pg_ctl.log" 2>&1 || die "postgres did not start (see $dir/postgres.log)"
  say "postgres running on 127.0.0.1:$PG_PORT (data $dir/data, log $dir/postgres.log)"
}

postgres_down() {
  local dir=$RUN/postgres bin
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 && say "stopped postgres" || true
  fi
}

# Stops a service: its recorded pid, that pid's children (clickhouse-server runs the server as a
# child of a watchdog process), and anything still running with this checkout's config file.
stop_pid() { # name pidfile [pattern]
  local pidf=$2 pattern=${3:-} pids=""
  if pid_alive "$pidf"; then pids="$(cat "$pidf") $(pgrep -P "$(cat "$pidf")" 2>/dev/null || true)"; fi
  if [ -n "$pattern" ]; then pids="$pids $(pgrep -f -- "$pattern" 2>/dev/null || true)"; fi
  pids=$(echo $pids)
  if [ -n "$pids" ]; then
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 100); do
      local alive=""
      for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
      [ -z "$alive" ] && break
      sleep 0.2
    done
    kill -9 $pids 2>/dev/null || true
    say "stopped $1"
  fi
  rm -f "$pidf"
}

print_env() {
  echo "export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
  echo "export CLICKHOUSE_URL=${CLICKHOUSE_URL:-http://127.0.0.1:$CH_HTTP_PORT}"
  echo "export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
  echo "export POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:$PG_PORT/postgres}"
}

cmd=${1:-}
shift || true
persist=yes
with_postgres=no
for a in "$@"; do
  [ "$a" = --ephemeral ] && persist=no
  [ "$a" = --with-postgres ] && with_postgres=yes
done
mkdir -p "$RUN"

case "$cmd" in
  up)
    if [ -z "${KAFKA_BROKERS:-}${CLICKHOUSE_URL:-}${REDIS_URL:-}" ] && docker_engine; then
      say "docker engine found: docker compose up"
      docker compose -f "$ROOT/docker-compose.yml" up -d --wait || die "docker compose up failed; see 'docker compose logs'"
    else
      [ -n "${CLICKHOUSE_URL:-}" ] && say "using CLICKHOUSE_URL=$CLICKHOUSE_URL" || clickhouse_up
      [ -n "${REDIS_URL:-}" ] && say "using REDIS_URL=$REDIS_URL" || redis_up "$persist"
      [ -n "${KAFKA_BROKERS:-}" ] && say "using KAFKA_BROKERS=$KAFKA_BROKERS" || kafka_up
    fi
    if [ "$with_postgres" = yes ]; then [ -n "${POSTGRES_URL:-}" ] && say "using POSTGRES_URL=$POSTGRES_URL" || postgres_up; fi
    print_env >"$RUN/env"
    say "ready: $(print_env | sed 's/export //' | tr '\n' ' ')"
    ;;
  down)
    if [ -z "${KAFKA_BROKERS:-}${CLICKHOUSE_URL:-}${REDIS_URL:-}" ] && docker_engine && [ ! -d "$RUN/kafka" ]; then
      docker compose -f "$ROOT/docker-compose.yml" down
    fi
    stop_pid kafka "$RUN/kafka/pid" "$RUN/kafka/server.properties"
    stop_pid clickhouse "$RUN/clickhouse/pid" "--config-file=$RUN/clickhouse/config.xml"
    if pid_alive "$RUN/redis/pid"; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    stop_pid redis "$RUN/redis/pid"
    postgres_down
    ;;
  postgres-up)
    [ -n "${POSTGRES_URL:-}" ] && say "using POSTGRES_URL=$POSTGRES_URL" || postgres_up
    ;;
  status)
    pid_alive "$RUN/kafka/pid" && echo "kafka       running  127.0.0.1:$KAFKA_PORT" || echo "kafka       stopped"
    pid_alive "$RUN/clickhouse/pid" && echo "clickhouse  running  http://127.0.0.1:$CH_HTTP_PORT" || echo "clickhouse  stopped"
    pid_alive "$RUN/redis/pid" && echo "redis       running  redis://127.0.0.1:$REDIS_PORT" || echo "redis       stopped"
    [ -f "$RUN/postgres/data/postmaster.pid" ] && echo "postgres    running  postgres://127.0.0.1:$PG_PORT" || echo "postgres    stopped (started only with --with-postgres / postgres-up)"
    ;;
  env) print_env ;;
  *) echo "usage: infra/services.sh up [--ephemeral] [--with-postgres] | postgres-up | down | status | env" >&2; exit 2 ;;
esac
