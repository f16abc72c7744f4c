package dev.cloister.docs;

import dev.cloister.testing.Repository;
import dev.cloister.CloisterOptions;
import dev.cloister.impl.config.OptionTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/options.md lists every option of the table, once, with its environment variable. */
class OptionsReferenceTest {

  private static final Pattern ROW = Pattern.compile("^\\| `(\\w+)`( †)? \\| `(CLOISTER_\\w+)` \\|", Pattern.MULTILINE);

  @Test
  void everyOptionHasItsRowWithItsVariable() throws Exception {
    String doc = Files.readString(Repository.path("docs", "options.md"));
    List<String> names = new ArrayList<>();
    Matcher m = ROW.matcher(doc);
    while (m.find()) {
      names.add(m.group(1));
      assertEquals(OptionTable.environmentVariable(m.group(1)), m.group(3), "the variable of " + m.group(1));
    }
    assertEquals(OptionTable.names().stream().sorted().toList(), names.stream().sorted().toList(),
      "docs/options.md rows against the option table");
    assertEquals(new CloisterOptions().toJson().size(), names.size());
  }
}
