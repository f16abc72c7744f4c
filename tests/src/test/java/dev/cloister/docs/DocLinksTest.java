package dev.cloister.docs;

import dev.cloister.testing.Repository;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every relative link of README.md and docs/*.md names a file that exists, and a heading of it when
 * it names one: the README's claims point at the examples and tests that back them.
 */
class DocLinksTest {

  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#+ (.+)$", Pattern.MULTILINE);
  private static final Pattern FENCE = Pattern.compile("```.*?```", Pattern.DOTALL);

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(Repository.path("README.md")));
    try (Stream<Path> s = Files.list(Repository.path("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    List<String> broken = new ArrayList<>();
    for (Path doc : docs) {
      String text = FENCE.matcher(Files.readString(doc)).replaceAll("");
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("[a-z]+:.*")) {
          continue;
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? doc : doc.toAbsolutePath().getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(doc + ": " + target + " (no such file)");
        } else if (hash >= 0 && resolved.toString().endsWith(".md")
          && !anchors(resolved).contains(target.substring(hash + 1))) {
          broken.add(doc + ": " + target + " (no such heading)");
        }
      }
    }
    assertEquals(List.of(), broken);
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
  private static Set<String> anchors(Path doc) throws IOException {
    Set<String> out = new HashSet<>();
    Matcher m = HEADING.matcher(FENCE.matcher(Files.readString(doc)).replaceAll(""));
    while (m.find()) {
      out.add(m.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return out;
  }
}
