package dev.cloister.impl.config;

/**
 * The failure-detection timings of the cluster transport, in ms: how often a node says it is
 * alive, how long its silence is tolerated, how long a suspicion is double-checked, and how long
 * a starting node looks for others.
 *
 * @param heartbeatInterval ms between two heartbeats of a node (JGroups FD_ALL3 {@code interval})
 * @param suspectTimeout ms of silence after which a node is suspected (FD_ALL3 {@code timeout})
 * @param verifySuspectTimeout ms a suspicion raised by a closed connection is double-checked before
 *     the node is excluded; a suspicion raised by silence is checked for {@link #silenceCheck()}
 * @param joinTimeout ms a starting node looks for a cluster before forming one alone (GMS
 *     {@code join_timeout})
 */
public record FailureDetection(long heartbeatInterval, long suspectTimeout, long verifySuspectTimeout,
                               long joinTimeout) {

  /**
   * The longest time, in ms, from a node becoming silent (a crash whose socket stays open, a hung
   * process, a partition) to its exclusion from the survivors' view, with these timings.
   *
   * @return the bound
   * @see #bound(long, long, long)
   */
  public long bound() {
    return bound(heartbeatInterval, suspectTimeout, silenceCheck());
  }

  /**
   * How long a suspicion raised by silence is double-checked, ms: at least {@link
   * #verifySuspectTimeout()}, and half the silence that raised it, for the answer of a live
   * member that was only slow comes through the same slow network.
   *
   * @return the check, ms
   */
  public long silenceCheck() {
    return Math.max(verifySuspectTimeout, suspectTimeout / 2);
  }

  /**
   * The failure-detection bound of any JGroups stack, from its timings: the silence tolerated,
   * plus one heartbeat interval (silence is checked once per interval), plus the double check.
   * Installing the new view takes one more round trip on top. A crash that closes the node's
   * sockets is usually noticed sooner, through FD_SOCK2.
   *
   * @param heartbeatInterval FD_ALL3's interval, ms (0 when the stack has no FD_ALL3)
   * @param suspectTimeout FD_ALL3's timeout, ms
   * @param verifySuspectTimeout how long a suspicion raised by silence is double-checked, ms
   *     (VERIFY_SUSPECT2's timeout; 0 when the stack has none)
   * @return the bound, ms
   */
  public static long bound(long heartbeatInterval, long suspectTimeout, long verifySuspectTimeout) {
    return suspectTimeout + heartbeatInterval + verifySuspectTimeout;
  }
}
