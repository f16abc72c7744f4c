package dev.cloister.impl;

import dev.cloister.Cloister;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every receiver of a state gets its own copy: a listener, a state stream and the start future may
 * edit what they got, and neither routing (siblings, multicall, whois) nor other receivers notice.
 */
class ReceivedStateIsolationTest {

  /** A listener that wrecks every state it is given. */
  public static final class Vandal implements CloisterListener {
    /** Creates it; instantiated by class name from the options. */
    public Vandal() {
    }

    @Override
    public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
      wreck(state);
    }
  }

  static void wreck(CloisterState state) {
    state.getMembers().clear();
    state.getRings().clear();
    state.getMissing().add("nobody:1");
    state.setStatus(CloisterStatus.DOWN).setQuorate(false).setNode("vandal");
  }

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void receiversEditingTheirStateChangeNothingForRoutingOrForEachOther() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 2).setListener(Vandal.class.getName()));
    Node b = cluster.start(1, cluster.options(1, 2));
    await(a.deployment);
    await(b.deployment);
    eventually("two members READY", () -> a.state().getStatus() == CloisterStatus.READY
      && a.state().getMembers().size() == 2, a::transitions);
    // The recorder listener of the test cluster saw the same transitions as the vandal, untouched.
    assertTrue(a.states.stream().allMatch(s -> !"vandal".equals(s.getNode())), "each listener has its own copy");
    wreck(await(a.cloister().siblingsRefreshed().map(x -> a.state())));

    AtomicInteger streamed = new AtomicInteger();
    a.cloister().stateStream().handler(change -> {
      wreck(change.getState());
      streamed.incrementAndGet();
    });
    for (Node n : List.of(a, b)) {
      n.vertx.eventBus().consumer("test.echo", m -> m.reply("node" + n.index));
    }

    Node c = cluster.start(2, cluster.options(2, 2));
    await(c.deployment);
    c.vertx.eventBus().consumer("test.echo", m -> m.reply("node2"));
    eventually("three members READY", () -> a.state().getStatus() == CloisterStatus.READY
      && a.state().getMembers().size() == 3, a::transitions);
    eventually("the stream saw the rehash", () -> streamed.get() >= 2, a::transitions);

    assertEquals(List.of("node0", "node1", "node2"), a.cloister().siblings());
    assertEquals("node0", a.cloister().nodeName());
    assertEquals(List.of("node0", "node1", "node2"), a.state().memberNames());
    assertEquals(3, a.state().getRings().get(0).getMembers().size());
    assertEquals(b.cloister().whois("some key"), a.cloister().whois("some key"));
    eventually("the echo consumer of node2 is known everywhere", () -> {
      List<NodeReply> replies = await(a.cloister().multicall("test.echo", "hi"));
      return replies.size() == 3 && replies.stream().allMatch(NodeReply::isSucceeded);
    }, a::transitions);
    List<NodeReply> replies = await(a.cloister().multicall("test.echo", "hi"));
    assertEquals(List.of("node0", "node1", "node2"), replies.stream().map(r -> (String) r.getBody()).sorted().toList());
  }

  @Test
  void theStartFutureAndStateGiveCopies() {
    Vertx vertx = Vertx.vertx();
    try {
      Cloister c = Cloister.create(vertx, new CloisterOptions().setNodeName("alone"));
      wreck(await(c.start()));
      wreck(c.state());
      assertEquals(List.of("alone"), c.siblings());
      assertEquals(List.of("alone"), c.state().memberNames());
      assertEquals(CloisterStatus.NONODE, c.state().getStatus());
      assertEquals("alone", c.whois("k"));
      c.siblings().clear();
      assertEquals(List.of("alone"), c.siblings(), "siblings() is a copy too");
    } finally {
      await(vertx.close());
    }
  }
}
