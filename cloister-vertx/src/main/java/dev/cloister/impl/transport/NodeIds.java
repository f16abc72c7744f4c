package dev.cloister.impl.transport;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The logical name each channel gets before it connects, which is also the node's Vert.x node id.
 *
 * <p>JGroups' own default is the host's name and a random number below 65535, the same host name
 * for every container of a deployment: two live nodes shared an id once in a short soak of six
 * node starts, and then each removed the other's member record as an impostor of itself, over
 * and over. With 48 random bits a clash is out of reach for any cluster's lifetime of restarts.
 * The node's name (or the application's) leads, so that JGroups' and Infinispan's logs name the
 * node they are about.
 */
public final class NodeIds {

  /** The longest prefix taken from a node or application name. */
  static final int MAX_PREFIX = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private NodeIds() {
  }

  /**
   * A new node id.
   *
   * @param name the node's name, or its application's when it has none; {@code null} for "node"
   * @return the name's safe characters (at most {@value #MAX_PREFIX}), a dash and 12 random hex digits
   */
  public static String fresh(String name) {
    StringBuilder prefix = new StringBuilder();
    String from = name == null ? "" : name;
    for (int i = 0; i < from.length() && prefix.length() < MAX_PREFIX; i++) {
      char c = from.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
        prefix.append(c);
      }
    }
    byte[] bits = new byte[6];
    RANDOM.nextBytes(bits);
    return (prefix.length() == 0 ? "node" : prefix) + "-" + HexFormat.of().formatHex(bits);
  }
}
