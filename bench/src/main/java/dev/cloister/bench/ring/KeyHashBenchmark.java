package dev.cloister.bench.ring;

import dev.cloister.impl.ring.KeyHash;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/** The key hash alone, on the same keys as {@link RingLookupBenchmark}: the floor of a lookup. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyHashBenchmark {

  private String[] keys;
  private int next;

  @Setup
  public void setup() {
    keys = RingLookupBenchmark.keys(4096, 20260101L);
  }

  @Benchmark
  public long hash() {
    return KeyHash.hash(keys[next++ & 4095]);
  }
}
