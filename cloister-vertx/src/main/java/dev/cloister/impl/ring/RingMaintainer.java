package dev.cloister.impl.ring;

import dev.cloister.impl.transport.BlockingPools;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ring maintenance's one job: build the rings of each new membership, off the event loop. A
 * worker verticle (one event at a time, so builds run in the order asked) listening on the local
 * address {@code <prefix>.rings}; it keeps the rings it built last and builds each next one from
 * them, so group ring versions count rebuilds exactly as if every build were installed, even when
 * the node installs only the newest.
 *
 * <p>A 1000-member ring takes tens of megabytes, and tens of milliseconds to build from scratch
 * (several to derive after one join or leave): on the node's event loop it would delay every timer
 * and event of that loop by as much.
 */
public final class RingMaintainer extends VerticleBase {

  /**
   * A build order.
   *
   * @param build the node's number for this build; replies carry it so stale ones are dropped
   * @param members sorted member names by group
   * @param vnodes points per member
   */
  public record Build(long build, Map<String, List<String>> members, int vnodes) {
    /** Copies the member lists, sorted by group: the order crosses threads. */
    public Build {
      TreeMap<String, List<String>> copy = new TreeMap<>();
      members.forEach((g, names) -> copy.put(g, List.copyOf(names)));
      members = Collections.unmodifiableMap(copy);
    }
  }

  /**
   * A built set of rings.
   *
   * @param build the build's number
   * @param rings the rings
   * @param thread the name of the thread that built them (for logs and tests)
   */
  public record Built(long build, Rings rings, String thread) {
  }

  /** How long a build may take before the node orders it again, ms: far above a 1000-member build. */
  static final long BUILD_TIMEOUT = 60_000;

  private final String address;
  private final String codec;
  private Rings last = Rings.EMPTY;
  private MessageConsumer<Build> consumer;

  /**
   * Creates the maintainer of one node.
   *
   * @param prefix the node's event-bus address prefix
   */
  public RingMaintainer(String prefix) {
    this.address = prefix + ".rings";
    this.codec = prefix + ".rings.codec";
  }

  /**
   * Deploys a maintainer as a worker verticle, with the local codec its messages travel with.
   *
   * @param vertx the node's Vert.x
   * @param prefix the node's event-bus address prefix
   * @return the client the node orders builds through; completed once the maintainer listens
   */
  public static Future<Client> deploy(Vertx vertx, String prefix) {
    RingMaintainer maintainer = new RingMaintainer(prefix);
    vertx.eventBus().registerCodec(new LocalCodec(maintainer.codec));
    return vertx.deployVerticle(maintainer,
        BlockingPools.onNodePool(new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)))
      .map(id -> new Client(vertx, maintainer.address, maintainer.codec, id))
      .onFailure(err -> vertx.eventBus().unregisterCodec(maintainer.codec));
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().<Build>localConsumer(address, m -> {
      Build b = m.body();
      last = last.next(b.members(), b.vnodes());
      m.reply(new Built(b.build(), last, Thread.currentThread().getName()), new DeliveryOptions().setCodecName(codec));
    });
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  /** How the node orders builds from its maintainer; used on the node's context. */
  public static final class Client {
    private final Vertx vertx;
    private final String address;
    private final String codec;
    private final String deployment;

    private Client(Vertx vertx, String address, String codec, String deployment) {
      this.vertx = vertx;
      this.address = address;
      this.codec = codec;
      this.deployment = deployment;
    }

    /**
     * Orders a build; the reply arrives on the caller's context.
     *
     * @param build the order
     * @return the built rings
     */
    public Future<Built> build(Build build) {
      return vertx.eventBus().<Built>request(address, build,
        new DeliveryOptions().setCodecName(codec).setLocalOnly(true).setSendTimeout(BUILD_TIMEOUT))
        .map(m -> m.body());
    }

    /**
     * Undeploys the maintainer and removes its codec.
     *
     * @return completed once undeployed (or already gone with Vert.x)
     */
    public Future<Void> close() {
      return vertx.undeploy(deployment).recover(err -> Future.succeededFuture()).compose(x -> {
        vertx.eventBus().unregisterCodec(codec);
        return Future.succeededFuture();
      });
    }
  }

  /** Passes immutable values between verticles of one Vert.x, by reference; never on the wire. */
  private record LocalCodec(String name) implements MessageCodec<Object, Object> {
    @Override
    public void encodeToWire(Buffer buffer, Object o) {
      throw new UnsupportedOperationException("local only");
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("local only");
    }

    @Override
    public Object transform(Object o) {
      return o;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
