#!/usr/bin/env bash
# Builds the benchmark project and runs one group of benchmarks; every group prints tables.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
usage: bench/run.sh COMMAND [JMH options...]

commands:
  cluster [RUNS]  cluster timings on real clusters (default 7 runs each): Cloister's time to
         READY after the last node's join beside the bare join, kill -9 of one of three node
         JVMs to the survivors' new ring, graceful leave, one node JVM from launch to READY
  calls  multicall to 3 nodes and whois over the event bus beside a bare event-bus request
         (p50/p99 latency, throughput) on a 3-node cluster in one JVM
  growth [rounds] [sizes...]
         how formation, a graceful leave and a cut-off node grow with the cluster: 3, 6, 9, 12
         nodes (default) in one JVM, consensus N - 2, ROUNDS rounds each (default 2)
  workers [keys]
         sharded workers on 3 nodes in one JVM (consensus 2), KEYS keys (default 1000000) with a
         no-op worker: time to place every key, heap per idle key, keys moved and the time to the
         last moved key started on a 4th node's join, its graceful leave and a cut-off node, and
         sustained performs per second (outcome ok, outcome replace); runs with -Xmx8g
         (WORKERS_HEAP=... to change)
  ring   ring lookup ns and allocation (JMH, -prof gc) for Cloister's ring, libring's
         algorithm, jump hash and rendezvous at N = 3, 10, 100, 1000; then balance,
         key movement on join and leave, and rebuild time (plain Java tables);
         also KeyHash.hash alone on ASCII and non-ASCII keys
  rebuild [members] [runs]
         what a ring rebuild costs at 10, 100 and 1000 members with 4096, 1024 and 256 vnodes:
         full build, rebuild after a join and after a leave (ms p50), bytes retained and
         allocated (plain Java table); then how late a 1 ms timer on the node's event-loop
         context fires while the rings of MEMBERS members (default 1000) are rebuilt, in place
         on that context and by the ring maintenance worker verticle (RUNS runs each, default 9)
  soak [nodes] [rounds] [seed]
         crash chaos soak: NODES node JVMs (default 5), ROUNDS rounds (default 20) of
         kill -9 or graceful stop of a random node and its restart under the same name;
         prints a row per round and a summary; exits 1 on a failed round;
         JAVA_OPTS=-Dcloister.soak.logs=DIR keeps every node's log lines in DIR
  partition [runs]
         5 nodes in one JVM, consensus 3, split 3 + 2 and healed RUNS times (default 5):
         split -> minority not quorate, heal -> one converged ring of five
  netfaults [runs]
         the same faults on a real network (as root: each node JVM in its own network
         namespace, bridges, DNS by service name; see docs/failure-modes.md): time from a
         2 | 3 cut to the minority not quorate and the majority READY on 3, from the heal to
         one converged ring, and from a 3 s SIGSTOP / SIGCONT to the others' ring of 4 and back
         to one ring; beside the in-JVM figures of the partition command (default 3 runs)
  peers [--rounds N] [--only SYSTEM,...] [--logs DIR]
         Cloister beside Hazelcast 5.7 (defaults; tuned failure detection), Pekko Cluster 1.7
         (defaults with the split-brain resolver; tuned) and bare vertx-infinispan, each as 3 node
         JVMs on loopback, interleaved, N rounds (default 2): launch -> all see 3 members, kill -9
         and graceful leave -> survivors exclude the node, idle RSS per node; prints each
         system's settings (systems: cloister, hazelcast, hazelcast-tuned, pekko, pekko-tuned,
         infinispan; DIR keeps every node's output)
  peers --scenario sharding [--rounds N] [--only SYSTEM,...] [--entities E] [--logs DIR]
         scenario (e), sharded entities: Cloister's sharded workers (defaults, tick 0) beside
         Pekko Cluster Sharding 1.7 with remember-entities (defaults; newer rebalance limits), 3
         node JVMs each, interleaved, N rounds (default 2): E entities (default 100000) created
         from node 0 -> all running, graceful leave of node 2 -> the survivors run all E again,
         entities started on the survivors meanwhile; prints each system's settings (systems:
         cloister-workers, pekko-sharding, pekko-sharding-tuned)

Extra arguments replace the default JMH options of the command, e.g.
  bench/run.sh ring -f 1 -wi 2 -i 3 -w 1s -r 1s
USAGE
}

build() {
  mvn -q -B package
  CP="target/classes:$(cat target/classpath.txt)"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  ring)
    build
    jmh_opts=(-f 1 -wi 3 -i 5 -w 2s -r 2s)
    [ $# -gt 0 ] && jmh_opts=("$@")
    java -cp "$CP" org.openjdk.jmh.Main 'dev\.cloister\.bench\.ring\..*' -prof gc "${jmh_opts[@]}" \
      -rf text -rff target/ring-jmh.txt
    echo
    echo "== JMH summary (ns/op is one lookup; gc.alloc.rate.norm is bytes per lookup) =="
    grep -E '^Benchmark|ns/op|B/op' target/ring-jmh.txt
    echo
    java -Xmx3g -cp "$CP" dev.cloister.bench.ring.RingQuality
    ;;
  rebuild)
    build
    java -Xmx3g -cp "$CP" dev.cloister.bench.ring.RebuildCost 4096 1024 256
    echo
    java -Xmx2g -cp "$CP" dev.cloister.bench.ring.RebuildStall "$@"
    ;;
  cluster)
    build
    java -Djava.net.preferIPv4Stack=true -cp "$CP" dev.cloister.bench.cluster.ClusterBench "$@"
    ;;
  calls)
    # Runs on the tests' class path: it reuses their in-JVM cluster.
    (cd .. && mvn -q -B -pl tests -am test-compile exec:java@bench \
      -Dexec.mainClass=dev.cloister.bench.CallsBench -Djava.net.preferIPv4Stack=true)
    ;;
  growth)
    # Runs on the tests' class path: it reuses their in-JVM cluster.
    (cd .. && mvn -q -B -pl tests -am test-compile exec:java@bench \
      -Dexec.mainClass=dev.cloister.bench.GrowthBench -Dexec.args="$*" -Djava.net.preferIPv4Stack=true)
    ;;
  workers)
    # Runs on the tests' class path in Maven's JVM, whose heap MAVEN_OPTS sets.
    (cd .. && MAVEN_OPTS="${MAVEN_OPTS:-} -Xmx${WORKERS_HEAP:-8g}" mvn -q -B -pl tests -am test-compile exec:java@bench \
      -Dexec.mainClass=dev.cloister.bench.WorkersBench -Dexec.args="$*" \
      -Djava.net.preferIPv4Stack=true)
    ;;
  soak)
    build
    java ${JAVA_OPTS:-} -cp "$CP" dev.cloister.bench.soak.CrashSoak "$@"
    ;;
  partition)
    build
    java ${JAVA_OPTS:-} -cp "$CP" dev.cloister.bench.soak.PartitionBench "$@"
    ;;
  netfaults)
    # The rig lives in the project's tests; node JVMs need a real class path, not Maven's.
    (cd .. && mvn -q -B -pl tests -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.7.1:build-classpath \
        -Dmdep.outputFile=target/netrig-classpath.txt -Dmdep.includeScope=test \
      && java ${JAVA_OPTS:-} -Djava.net.preferIPv4Stack=true \
        -cp "tests/target/test-classes:$(cat tests/target/netrig-classpath.txt)" \
        dev.cloister.netrig.NetFaultsBench "$@")
    ;;
  peers)
    # Its own module, so that the library never depends on the peers.
    mvn -q -B -f peers/pom.xml package
    java -cp "peers/target/classes:$(cat peers/target/classpath.txt)" dev.cloister.bench.peers.PeersBench "$@"
    ;;
  ""|-h|--help|help)
    usage
    ;;
  *)
    echo "unknown command: $cmd" >&2
    usage >&2
    exit 2
    ;;
esac
