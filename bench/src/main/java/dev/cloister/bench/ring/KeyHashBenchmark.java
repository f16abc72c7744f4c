package dev.cloister.bench.ring;

import dev.cloister.impl.ring.KeyHash;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The key hash alone: on the ASCII keys of {@link RingLookupBenchmark} (the floor of a lookup),
 * and on the same keys with every fourth letter replaced by a non-ASCII character.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyHashBenchmark {

  @Param({"ascii", "non-ascii"})
  public String keys;

  private String[] values;
  private int next;

  @Setup
  public void setup() {
    values = RingLookupBenchmark.keys(4096, 20260101L);
    if (keys.equals("non-ascii")) {
      char[] foreign = {'\u00e9', '\u00df', '\u2713', '\u4e2d'};
      for (int i = 0; i < values.length; i++) {
        char[] chars = values[i].toCharArray();
        for (int j = 5; j < chars.length; j += 4) {
          chars[j] = foreign[(i + j) % foreign.length];
        }
        values[i] = new String(chars);
      }
    }
  }

  @Benchmark
  public long hash() {
    return KeyHash.hash(values[next++ & 4095]);
  }
}
