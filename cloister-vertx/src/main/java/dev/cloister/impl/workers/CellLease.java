package dev.cloister.impl.workers;

import dev.cloister.impl.ring.KeyHash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The lease of one cell of the ring's hash space: who may run the keys whose positions fall in it.
 * The 2^48 key positions of the ring are cut into {@link #CELLS} equal cells; a cell's lease cuts
 * the cell into segments, each free or held by one node with its {@link Lease} (holder, token,
 * whether it is handing the segment off). A node runs a key only while the segment covering the
 * key's position names it with its token, so an idle key has no lease entry of its own and a move
 * writes a cell, not a key.
 *
 * <p>Stored as compact text: the last writer (its node id and the number of its write), {@code |},
 * then the segments in order, separated by {@code ;}, each {@code <last offset in base 36>=<state>}
 * but the last (which ends with the cell), the state {@code -} (free) or a lease's stored form.
 * Immutable.
 */
final class CellLease {

  /** Bits of a key position that choose its cell. */
  static final int BITS = 12;
  /** The number of cells. */
  static final int CELLS = 1 << BITS;
  /** Positions per cell, as a shift. */
  private static final int SPAN = 48 - BITS;
  /** Longest stored value read as a cell's lease; anything longer is unreadable. */
  private static final int MAX_LENGTH = 1 << 20;

  final int cell;
  /** The last writer: its node id, {@code /} and the number of its write (or "" for none). */
  final String writer;
  /** Each segment's last position (absolute); the last one is the cell's last. */
  private final long[] lasts;
  /** Each segment's lease, null where free. */
  private final Lease[] leases;

  private CellLease(int cell, String writer, long[] lasts, Lease[] leases) {
    this.cell = cell;
    this.writer = writer;
    this.lasts = lasts;
    this.leases = leases;
  }

  /** @return the position of a key in the ring */
  static long position(String key) {
    return KeyHash.hash(key) >>> 16;
  }

  /** @return the cell of a position */
  static int cellOf(long position) {
    return (int) (position >>> SPAN);
  }

  /** @return the cell's first position */
  static long first(int cell) {
    return (long) cell << SPAN;
  }

  /** @return the cell's last position */
  static long last(int cell) {
    return first(cell) + (1L << SPAN) - 1;
  }

  /** @return a cell all free, never written */
  static CellLease free(int cell) {
    return new CellLease(cell, "", new long[] {last(cell)}, new Lease[1]);
  }

  /**
   * Reads a stored cell lease.
   *
   * @param cell the cell
   * @param value the stored value, or null (a cell never written: all free)
   * @return the lease; a value that cannot be read is one segment held by a holder nobody sees
   */
  static CellLease decode(int cell, String value) {
    if (value == null) {
      return free(cell);
    }
    CellLease read = value.length() <= MAX_LENGTH ? read(cell, value) : null;
    return read != null ? read
      : new CellLease(cell, "", new long[] {last(cell)}, new Lease[] {new Lease("?", "?", false)});
  }

  private static CellLease read(int cell, String value) {
    int bar = value.indexOf('|');
    if (bar < 0) {
      return null;
    }
    String[] parts = value.substring(bar + 1).split(";", -1);
    long[] lasts = new long[parts.length];
    Lease[] leases = new Lease[parts.length];
    long base = first(cell);
    long previous = base - 1;
    for (int i = 0; i < parts.length; i++) {
      String state = parts[i];
      if (i < parts.length - 1) {
        int eq = state.indexOf('=');
        if (eq <= 0) {
          return null;
        }
        long offset;
        try {
          offset = Long.parseLong(state.substring(0, eq), 36);
        } catch (NumberFormatException e) {
          return null;
        }
        lasts[i] = base + offset;
        state = state.substring(eq + 1);
      } else {
        lasts[i] = last(cell);
      }
      if (lasts[i] <= previous || lasts[i] > last(cell)) {
        return null;
      }
      previous = lasts[i];
      if (!state.equals("-")) {
        leases[i] = Lease.decode(state);
        if (leases[i] == null) {
          return null;
        }
      }
    }
    return new CellLease(cell, value.substring(0, bar), lasts, leases);
  }

  /** @return the stored form */
  String encode() {
    StringBuilder out = new StringBuilder(writer).append('|');
    long base = first(cell);
    for (int i = 0; i < lasts.length; i++) {
      if (i > 0) {
        out.append(';');
      }
      if (i < lasts.length - 1) {
        out.append(Long.toString(lasts[i] - base, 36)).append('=');
      }
      out.append(leases[i] == null ? "-" : leases[i].encode());
    }
    return out.toString();
  }

  /**
   * @param position a position in this cell
   * @return the lease of the segment covering it, or null when free
   */
  Lease at(long position) {
    return leases[segmentOf(position)];
  }

  /** @return how many segments the cell is cut into */
  int segments() {
    return lasts.length;
  }

  /**
   * The same cell with the positions from {@code first} to {@code last} changed: each segment's
   * lease there replaced by {@code change} of it (null: free). Adjacent segments with equal leases
   * are merged.
   *
   * @param first the first position to change, in this cell
   * @param last the last position to change, from {@code first}, in this cell
   * @param change the new lease of a segment from its old one (either may be null)
   * @return the changed lease ({@link #writer} unchanged)
   */
  CellLease with(long first, long last, UnaryOperator<Lease> change) {
    // The segments in the range, changed; none changed (the common case): this same lease.
    int from = segmentOf(first);
    int to = segmentOf(last);
    Lease[] changed = new Lease[to - from + 1];
    boolean any = false;
    for (int i = from; i <= to; i++) {
      changed[i - from] = change.apply(leases[i]);
      any |= !Objects.equals(changed[i - from], leases[i]);
    }
    if (!any) {
      return this;
    }
    Builder b = new Builder(lasts.length + 2);
    for (int i = 0; i < from; i++) {
      b.add(lasts[i], leases[i]);
    }
    for (int i = from; i <= to; i++) {
      long start = i == 0 ? first(cell) : lasts[i - 1] + 1;
      if (start < first) {
        b.add(first - 1, leases[i]);
      }
      b.add(Math.min(lasts[i], last), changed[i - from]);
      if (lasts[i] > last) {
        b.add(lasts[i], leases[i]);
      }
    }
    for (int i = to + 1; i < lasts.length; i++) {
      b.add(lasts[i], leases[i]);
    }
    return b.build(cell, writer);
  }

  /** @return the index of the segment covering a position of this cell */
  private int segmentOf(long position) {
    int i = Arrays.binarySearch(lasts, position);
    return i >= 0 ? i : -i - 1;
  }

  /** @return the same cell, written by {@code writer} (see {@link #writer}) */
  CellLease writtenBy(String writer) {
    return new CellLease(cell, writer, lasts, leases);
  }

  /** @return whether both cut the cell the same way with the same leases (the writer aside) */
  boolean sameSegments(CellLease o) {
    return o != null && cell == o.cell && Arrays.equals(lasts, o.lasts) && Arrays.equals(leases, o.leases);
  }

  /** @return the segments' leases, each once, nulls left out */
  List<Lease> holders() {
    List<Lease> out = new ArrayList<>(2);
    for (Lease l : leases) {
      if (l != null && !out.contains(l)) {
        out.add(l);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "cell " + cell + ": " + encode();
  }

  /** Collects segments, merging neighbours with equal leases. */
  private static final class Builder {
    private long[] lasts;
    private Lease[] leases;
    private int n;

    Builder(int capacity) {
      lasts = new long[capacity];
      leases = new Lease[capacity];
    }

    void add(long last, Lease lease) {
      if (n > 0 && Objects.equals(leases[n - 1], lease)) {
        lasts[n - 1] = last;
        return;
      }
      if (n == lasts.length) {
        lasts = Arrays.copyOf(lasts, n * 2);
        leases = Arrays.copyOf(leases, n * 2);
      }
      lasts[n] = last;
      leases[n] = lease;
      n++;
    }

    CellLease build(int cell, String writer) {
      return new CellLease(cell, writer, Arrays.copyOf(lasts, n), Arrays.copyOf(leases, n));
    }
  }
}
