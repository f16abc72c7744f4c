package dev.cloister.impl.config;

import dev.cloister.CloisterOptions;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code jgroupsConfig} option: a JGroups XML stack of the user's own, found as a file or a
 * class-path resource. The stack then owns discovery, binding and encryption, so the options that
 * configure Cloister's own stack must be left unset.
 */
public final class UserStack {

  private UserStack() {
  }

  /**
   * Checks the option.
   *
   * @param location the option's value
   * @param options every option, for the ones the user's stack replaces
   * @return {@code null} when fine, else what is wrong
   */
  static String check(String location, CloisterOptions options) {
    if (location.isBlank()) {
      return "must not be blank";
    }
    if (file(location) == null && resource(location) == null) {
      return "names neither a file nor a class-path resource";
    }
    List<String> replaced = new ArrayList<>();
    if (options.getClusterHost() != null) {
      replaced.add("clusterHost");
    }
    if (options.getClusterPort() != 0) {
      replaced.add("clusterPort");
    }
    if (options.getClusterSecret() != null) {
      replaced.add("clusterSecret");
    }
    CloisterOptions defaults = new CloisterOptions();
    if (options.getSuspectTimeout() != defaults.getSuspectTimeout()) {
      replaced.add("suspectTimeout");
    }
    if (options.getHeartbeatInterval() != defaults.getHeartbeatInterval()) {
      replaced.add("heartbeatInterval");
    }
    if (options.getVerifySuspectTimeout() != defaults.getVerifySuspectTimeout()) {
      replaced.add("verifySuspectTimeout");
    }
    if (options.getJoinTimeout() != defaults.getJoinTimeout()) {
      replaced.add("joinTimeout");
    }
    return replaced.isEmpty() ? null : "cannot be combined with " + String.join(", ", replaced)
      + ": the JGroups stack sets binding (TCP), encryption (SYM_ENCRYPT, ASYM_ENCRYPT) and failure detection "
      + "(FD_ALL3, VERIFY_SUSPECT2, GMS) itself";
  }

  /**
   * Opens the XML: the file when there is one, else the class-path resource.
   *
   * @param location the option's value
   * @return the stream, to be closed by the caller
   * @throws IOException when neither can be read
   */
  public static InputStream open(String location) throws IOException {
    Path file = file(location);
    if (file != null) {
      return Files.newInputStream(file);
    }
    URL url = resource(location);
    if (url == null) {
      throw new IOException("No JGroups stack at " + location + ": neither a file nor a class-path resource");
    }
    return url.openStream();
  }

  private static Path file(String location) {
    try {
      Path p = Path.of(location);
      return Files.isRegularFile(p) ? p : null;
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private static URL resource(String location) {
    String name = location.startsWith("/") ? location.substring(1) : location;
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    URL url = context == null ? null : context.getResource(name);
    return url != null ? url : UserStack.class.getClassLoader().getResource(name);
  }
}
