package dev.cloister.impl.workers;

/**
 * Reads a key's lease from a set's leases cache, for diagnostics and tests: the cache holds one
 * entry per cell of the ring's hash space (see {@link CellLease}), not one per key.
 */
public final class LeaseView {

  private LeaseView() {
  }

  /**
   * @param key a key of a worker set
   * @return the key of its cell's entry in the set's leases cache
   */
  public static String cacheKey(String key) {
    return KeyStore.cellKey(CellLease.cellOf(CellLease.position(key)));
  }

  /**
   * @param cellValue the cell's entry, as stored (null: never written)
   * @param key a key of the cell
   * @return the stored form of the lease covering the key ({@code h:…} held, {@code m:…} handing
   *     off), or null when free
   */
  public static String leaseOf(Object cellValue, String key) {
    long position = CellLease.position(key);
    Lease lease = CellLease.decode(CellLease.cellOf(position), (String) cellValue).at(position);
    return lease == null ? null : lease.encode();
  }
}
