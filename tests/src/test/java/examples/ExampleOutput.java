package examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What one example node printed, captured for assertions. */
final class ExampleOutput {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  /** The stream to hand to the example. */
  final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  /** @return the lines printed so far */
  List<String> lines() {
    synchronized (bytes) {
      return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  /**
   * @param prefix the start of a line
   * @return the printed lines starting with {@code prefix}
   */
  List<String> linesStartingWith(String prefix) {
    return lines().stream().filter(l -> l.startsWith(prefix)).toList();
  }
}
