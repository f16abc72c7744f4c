package examples;

import dev.cloister.CallOptions;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.rxjava3.Cloister;
import io.reactivex.rxjava3.core.Maybe;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.disposables.Disposable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.rxjava3.core.Vertx;

import java.io.PrintStream;
import java.util.List;

/**
 * Cloister through its generated RxJava 3 binding ({@code dev.cloister.rxjava3.Cloister}, made
 * by vertx-codegen from the {@code @VertxGen} interface {@code dev.cloister.Cloister}):
 * {@code Single}s of per-node replies and a {@code Flowable} of state changes.
 */
public class RxExample {

  /**
   * Starts a node, watches its transitions and calls its siblings.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    CloisterOptions options = new CloisterOptions().setSentry(List.of("127.0.0.1:7800", "127.0.0.1:7801"))
      .setLoopback(true).setConsensus(1);
    Vertx.builder().withClusterManager(new CloisterClusterManager(options)).rxBuildClustered()
      .flatMap(vertx -> start(vertx, options, System.out))
      .subscribe(c -> System.out.println("started " + c.nodeName()), Throwable::printStackTrace);
  }

  /**
   * Starts Cloister on a clustered Vert.x, then calls every sibling: a request, a registered
   * function, a publish.
   *
   * @param vertx a clustered Vert.x
   * @param options Cloister's options
   * @param out where to print what happens
   * @return the started Cloister, once the calls are done
   */
  static Single<Cloister> start(Vertx vertx, CloisterOptions options, PrintStream out) {
    Cloister cloister = Cloister.newInstance(dev.cloister.Cloister.create(vertx.getDelegate(), options));

    // Every transition from now on, with back-pressure; the Flowable completes after STOPPED.
    Disposable rehashes = cloister.stateStream().toFlowable()
      .filter(change -> change.getTo() == CloisterStatus.READY)
      .subscribe(change -> out.println("ring ready again: " + change.getState().getMembers()));

    // A function other nodes may run here by name; nothing else can be run remotely.
    cloister.register("load", arguments -> Maybe.just(new JsonObject().put("node", cloister.nodeName())
      .put("heap", Runtime.getRuntime().totalMemory())));

    vertx.eventBus().<String>consumer("app.ping").handler(msg -> msg.reply("pong from " + cloister.nodeName()));

    return cloister.start()
      .flatMap(state -> cloister.multicall("app.ping", "ping"))
      .doOnSuccess(replies -> print(replies, out))
      .flatMap(pongs -> cloister.multiapply(cloister.siblings(), "load", new JsonArray(),
        new CallOptions().setTimeout(5_000)))
      .doOnSuccess(replies -> print(replies, out))
      .flatMap(loads -> cloister.multicast("app.news", "a sibling said hello").toSingleDefault(cloister))
      .doOnDispose(rehashes::dispose);
  }

  static void print(List<NodeReply> replies, PrintStream out) {
    for (NodeReply r : replies) {
      out.println(r.isSucceeded() ? r.getNode() + " -> " + r.getBody()
        : r.getNode() + " failed " + r.getFailureCode() + ": " + r.getFailureMessage());
    }
  }
}
