package dev.cloister.bench.ring;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Time and allocation of one lookup (key hash included) of a String key of 10 to 20 ASCII
 * characters, cycling through 4096 distinct keys.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RingLookupBenchmark {

  @Param({"CLOISTER", "LIBRING", "JUMP", "RENDEZVOUS"})
  public Algorithm algorithm;

  @Param({"3", "10", "100", "1000"})
  public int nodes;

  private Algorithm.Ring ring;
  private String[] keys;
  private int next;

  @Setup
  public void setup() {
    ring = algorithm.build(RingQuality.members(nodes));
    keys = keys(4096, 20260101L);
  }

  static String[] keys(int count, long seed) {
    Random random = new Random(seed);
    String[] keys = new String[count];
    for (int i = 0; i < count; i++) {
      StringBuilder key = new StringBuilder("user:");
      int len = 5 + random.nextInt(11);
      for (int j = 0; j < len; j++) {
        key.append((char) ('a' + random.nextInt(26)));
      }
      keys[i] = key.toString();
    }
    return keys;
  }

  @Benchmark
  public String lookup() {
    String key = keys[next++ & 4095];
    return ring.owner(key);
  }
}
