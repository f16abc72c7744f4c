package dev.cloister.impl.workers;

import dev.cloister.CloisterException;

import java.util.regex.Pattern;

/** What a worker set accepts as a name, a key and a payload; failures carry code 400. */
final class KeyRules {

  /** The longest key accepted, in chars. */
  static final int MAX_KEY = 1024;
  /** The longest payload or message accepted, in chars of its JSON encoding. */
  static final int MAX_JSON = 1 << 20;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private KeyRules() {
  }

  /**
   * Checks a set's name.
   *
   * @param name the name
   * @return the name
   * @throws IllegalArgumentException naming what is wrong
   */
  static String name(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid worker set name '" + name
        + "': 1 to 100 letters, digits, '.', '_' or '-'");
    }
    return name;
  }

  /**
   * Checks a key.
   *
   * @param key the key
   * @return the key
   * @throws CloisterException with 400 for a null, empty or too long key
   */
  static String key(Object key) {
    if (!(key instanceof String k)) {
      throw new CloisterException(CloisterException.BAD_REQUEST, key == null ? "the key is null"
        : "the key must be a string, not " + key.getClass().getSimpleName());
    }
    if (k.isEmpty() || k.length() > MAX_KEY) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "the key must have 1 to " + MAX_KEY
        + " chars, not " + k.length());
    }
    return k;
  }

  /**
   * Checks a payload or message and encodes it.
   *
   * @param what what it is, for the message
   * @param json the JSON
   * @return its encoding
   * @throws CloisterException with 400 for null or too large JSON
   */
  static String json(String what, Object json) {
    if (!(json instanceof io.vertx.core.json.JsonObject j)) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "the " + what + " must be a JSON object, not "
        + (json == null ? "null" : json.getClass().getSimpleName()));
    }
    String s;
    try {
      s = j.encode();
    } catch (RuntimeException e) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "the " + what + " cannot be encoded as JSON: "
        + e.getMessage());
    }
    if (s.length() > MAX_JSON) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "the " + what + " has " + s.length()
        + " chars, more than " + MAX_JSON);
    }
    return s;
  }
}
