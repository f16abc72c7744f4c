package dev.cloister.docs;

import dev.cloister.testing.Repository;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Javadoc block tags ({@code @param}, {@code @return}, {@code @throws}) count only at the start of
 * a comment line: {@code /** @param app the name @return this *}{@code /} documents a parameter
 * described as "the name @return this" and no return value, which the javadoc jar then shows.
 */
class JavadocTagsTest {

  /** A block tag after other text on the same line of a Javadoc comment. */
  private static final Pattern TAG_AFTER_TEXT = Pattern.compile("^\\s*(/\\*\\*|\\*)\\s+\\S.*?\\s@(param|return|throws)\\s");

  @Test
  void everyBlockTagStartsALine() throws IOException {
    List<String> misplaced = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Repository.path("cloister-vertx/src/main/java"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(file);
        boolean inJavadoc = false;
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          if (line.trim().startsWith("/**")) {
            inJavadoc = true;
          }
          if (inJavadoc && TAG_AFTER_TEXT.matcher(line).find() && !line.contains("{@")) {
            misplaced.add(file + ":" + (i + 1) + ": " + line.trim());
          }
          if (line.contains("*/")) {
            inJavadoc = false;
          }
        }
      }
    }
    assertEquals(List.of(), misplaced, "block tags that Javadoc reads as part of the text before them");
  }
}
