#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the jars the build already has (no Spark download): a master
# and N workers of one core each, and spark-submit against it.
#
#   jobs/scripts/standalone-cluster.sh start [workers]     master on spark://127.0.0.1:7077, UI on :8080
#   jobs/scripts/standalone-cluster.sh submit <quokka args...>
#   jobs/scripts/standalone-cluster.sh stop
#
# State and logs live in ${QUOKKA_CLUSTER_DIR:-/tmp/quokka-standalone}. With a real Spark 3.5 installation, use its
# sbin/start-master.sh, sbin/start-worker.sh and bin/spark-submit instead; the arguments are the same.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${QUOKKA_CLUSTER_DIR:-/tmp/quokka-standalone}"
master="spark://127.0.0.1:7077"
app="$root/jobs/target/quokka-jobs-0.1.0-SNAPSHOT-spark.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

home() {
  # Workers start executors with SPARK_HOME/jars on the classpath: Spark's own jars, as a distribution has them.
  if [[ ! -f "$app" || ! -d "$root/jobs/target/lib" ]]; then
    (cd "$root" && ./mvnw -B -q -ntp -DskipTests -pl jobs -am package) >&2
  fi
  rm -rf "$state/home" && mkdir -p "$state/home/jars"
  ln -s "$root"/jobs/target/lib/*.jar "$state/home/jars/"
  export SPARK_HOME="$state/home" SPARK_SCALA_VERSION=2.12
}

opens() { cat "$root/jobs/target/launcher/jvm-opens.txt"; }

case "${1:-}" in
  start)
    workers="${2:-2}"
    home
    # shellcheck disable=SC2046
    nohup "$java" $(opens) -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port 7077 --webui-port 8080 >"$state/master.log" 2>&1 &
    echo $! >"$state/master.pid"
    sleep 3
    for i in $(seq 1 "$workers"); do
      # shellcheck disable=SC2046
      nohup "$java" $(opens) -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
        --cores 1 --memory 3g --work-dir "$state/work-$i" --webui-port $((8080 + i)) "$master" >"$state/worker-$i.log" 2>&1 &
      echo $! >"$state/worker-$i.pid"
    done
    sleep 5
    grep -h "Registering worker" "$state/master.log" || { echo "workers did not register; see $state" >&2; exit 1; }
    echo "master $master with $workers workers; logs in $state"
    ;;
  submit)
    shift
    export SPARK_HOME="$state/home" SPARK_SCALA_VERSION=2.12
    [[ -d "$SPARK_HOME/jars" ]] || { echo "no cluster: run '$0 start' first" >&2; exit 1; }
    # shellcheck disable=SC2046
    exec "$java" $(opens) -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.SparkSubmit --master "$master" \
      --class dev.quokka.jobs.Quokka "$app" "$@"
    ;;
  stop)
    for f in "$state"/*.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
    pkill -f "CoarseGrainedExecutorBackend.*127.0.0.1" 2>/dev/null || true
    echo "stopped"
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
