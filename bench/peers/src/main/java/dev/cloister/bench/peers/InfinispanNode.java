package dev.cloister.bench.peers;

import io.vertx.core.Vertx;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A clustered Vert.x on a bare {@link InfinispanClusterManager}: vertx-infinispan's own
 * configuration and JGroups stack ({@code tcp.xml}), pointed at the other nodes only through that
 * stack's documented system properties. Its members are those of each cluster view.
 */
public final class InfinispanNode {

  private InfinispanNode() {
  }

  /**
   * The settings: system properties read by vertx-infinispan's default JGroups stack.
   *
   * @param tuned unused: the stack runs its defaults
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("jgroups.bind_addr", "127.0.0.1");
    s.put("jgroups.bind_port", "{port}");
    s.put("jgroups.tcpping.initial_hosts", "{seeds:127.0.0.1[%d]}");
    s.put("jgroups.tcp.port_range", "0");
    return s;
  }

  /** Hears cluster views. */
  @Listener(sync = true)
  public static final class Views {

    /**
     * Prints the new view's members.
     *
     * @param event the view change
     */
    @ViewChanged
    public void viewChanged(ViewChangedEvent event) {
      NodeOutput.members(names(event.getNewMembers()));
    }
  }

  private static List<String> names(List<Address> members) {
    List<String> names = new ArrayList<>();
    members.forEach(m -> names.add(m.toString()));
    return names;
  }

  /**
   * Starts the node.
   *
   * @param args see {@link NodeArgs#parse}
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    a.expand(settings(a.tuned())).forEach(System::setProperty);
    InfinispanClusterManager manager = new InfinispanClusterManager();
    Vertx vertx = Vertx.builder().withClusterManager(manager).buildClustered().await(120, TimeUnit.SECONDS);
    EmbeddedCacheManager caches = (EmbeddedCacheManager) manager.getCacheContainer();
    NodeOutput.self(caches.getAddress().toString());
    NodeOutput.commands(() -> vertx.close().onComplete(NodeOutput::exitAfterLeave));
    caches.addListener(new Views());
    // Views that came before the listener: the current one.
    NodeOutput.members(names(caches.getMembers()));
  }
}
