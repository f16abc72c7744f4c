package dev.cloister.impl.ring;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The canonical text of a JSON key, as {@link KeyHash} hashes it under tag 0x08: object members
 * sorted by name, numbers in their exact decimal form, binary as unpadded base64url, no spaces,
 * so that equal JSON values hash alike whatever their insertion order or number types.
 */
final class CanonicalJson {

  private CanonicalJson() {
  }

  /**
   * The canonical text of a JSON value.
   *
   * @param json a {@code JsonObject}, {@code JsonArray}, {@code Map} or {@code List}
   * @return its canonical text
   * @throws IllegalArgumentException on a value type JSON keys do not support
   */
  static String of(Object json) {
    StringBuilder out = new StringBuilder();
    writeJson(out, json);
    return out.toString();
  }

  private static void writeJson(StringBuilder out, Object value) {
    if (value instanceof JsonObject) {
      writeObject(out, ((JsonObject) value).getMap());
    } else if (value instanceof JsonArray) {
      writeArray(out, ((JsonArray) value).getList());
    } else if (value instanceof Map) {
      writeObject(out, (Map<?, ?>) value);
    } else if (value instanceof List) {
      writeArray(out, (List<?>) value);
    } else if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      writeString(out, (String) value);
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value) ? "true" : "false");
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      out.append(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d)) {
        out.append("NaN");
      } else if (Double.isInfinite(d)) {
        out.append(d > 0 ? "Infinity" : "-Infinity");
      } else {
        writeDecimal(out, new BigDecimal(d));
      }
    } else if (value instanceof BigInteger) {
      writeDecimal(out, new BigDecimal((BigInteger) value));
    } else if (value instanceof BigDecimal) {
      writeDecimal(out, (BigDecimal) value);
    } else if (value instanceof byte[]) {
      writeString(out, Base64.getUrlEncoder().withoutPadding().encodeToString((byte[]) value));
    } else if (value instanceof Buffer) {
      writeString(out, Base64.getUrlEncoder().withoutPadding().encodeToString(((Buffer) value).getBytes()));
    } else if (value instanceof Instant) {
      writeString(out, DateTimeFormatter.ISO_INSTANT.format((Instant) value));
    } else if (value instanceof Enum) {
      writeString(out, ((Enum<?>) value).name());
    } else {
      throw new IllegalArgumentException("unsupported value type " + value.getClass().getName()
        + " inside a JSON key; supported are null, String, Boolean, numbers, byte[], Buffer, Instant,"
        + " enums, JsonObject, JsonArray, Map and List");
    }
  }

  private static void writeDecimal(StringBuilder out, BigDecimal value) {
    String text = KeyHash.decimalText(value);
    out.append(text != null ? text : Long.toString(value.longValueExact()));
  }

  private static void writeObject(StringBuilder out, Map<?, ?> map) {
    List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
    entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
    out.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> entry : entries) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(out, String.valueOf(entry.getKey()));
      out.append(':');
      writeJson(out, entry.getValue());
    }
    out.append('}');
  }

  private static void writeArray(StringBuilder out, List<?> list) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      writeJson(out, list.get(i));
    }
    out.append(']');
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append("\\u00").append(Character.forDigit(c >>> 4, 16)).append(Character.forDigit(c & 0xF, 16));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
