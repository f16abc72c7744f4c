package dev.cloister.impl.ring;

import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The rings a node answers from, and the newest build it ordered from its
 * {@link RingMaintainer}. Builds are numbered; only the newest is handed back, older replies are
 * dropped; the node installs it when its state machine is ready to. Confined to the node's
 * context (replies arrive there).
 */
public final class NodeRings {

  private static final Logger log = LoggerFactory.getLogger(NodeRings.class);

  private final RingMaintainer.Client maintainer;
  private final int vnodes;
  private final Consumer<Rings> onBuilt;
  private Rings rings = Rings.EMPTY;
  private String checksum;
  private long ordered;
  private Map<String, List<String>> pending;

  /**
   * Creates the rings of one node.
   *
   * @param maintainer where builds are ordered
   * @param vnodes points per member
   * @param onBuilt called on the node's context with the newest build, once it is built
   */
  public NodeRings(RingMaintainer.Client maintainer, int vnodes, Consumer<Rings> onBuilt) {
    this.maintainer = maintainer;
    this.vnodes = vnodes;
    this.onBuilt = onBuilt;
  }

  /**
   * Orders the rings of a new membership; until they are built, {@link #pending()} names it and
   * the installed rings stay in place.
   *
   * @param members sorted member names by group
   */
  public void order(Map<String, List<String>> members) {
    long build = ++ordered;
    pending = members;
    maintainer.build(new RingMaintainer.Build(build, members, vnodes)).onComplete((built, err) -> {
      if (build != ordered) {
        return; // a newer build was ordered meanwhile: this one is stale
      }
      if (err != null) {
        if (pending != null) {
          log.warn("Cannot build the rings (" + err.getMessage() + "); ordering them again");
          order(pending);
        }
        return;
      }
      pending = null;
      onBuilt.accept(built.rings());
    });
  }

  /**
   * Installs rings: answers come from them from now on.
   *
   * @param built rings handed to {@code onBuilt}
   */
  public void install(Rings built) {
    rings = built;
    checksum = built.checksum();
  }

  /** Stops installing: replies still in flight are dropped. */
  public void close() {
    ordered++;
    pending = null;
  }

  /** @return the members of the build under way, or {@code null} when none is */
  public Map<String, List<String>> pending() {
    return pending;
  }

  /** @return the installed rings */
  public Rings rings() {
    return rings;
  }

  /** @return the installed rings' checksum, or {@code null} before any were installed */
  public String checksum() {
    return checksum;
  }
}
