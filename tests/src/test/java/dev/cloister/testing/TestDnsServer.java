package dev.cloister.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small authoritative DNS server on 127.0.0.1 (UDP) for tests, changeable while it runs.
 *
 * <p>Each name is in one mode: answering its records (A, AAAA, SRV), answering NXDOMAIN,
 * answering SERVFAIL, dropping queries (the client times out) or answering with a malformed
 * packet. Names never configured answer NXDOMAIN; a name whose records were all removed (or
 * {@link #clear(String) cleared}) exists and gets empty answers. Adding records does not change a
 * name's mode: {@link #clear(String)} brings a name back to answering. Names are case-insensitive
 * and a final dot is ignored. All methods are thread-safe; each server has its own event loop, so
 * several servers (and several Vert.x instances) can run in one JVM.
 */
public final class TestDnsServer implements AutoCloseable {

  private enum Mode { ANSWER, NXDOMAIN, SERVFAIL, DROP, MALFORMED, MALFORMED_RECORD }

  /** What one name answers; immutable, replaced atomically in the map on every change. */
  private record Entry(Mode mode, List<byte[]> a, List<byte[]> aaaa, List<Srv> srv, String cname) {
    static final Entry EMPTY = new Entry(Mode.ANSWER, List.of(), List.of(), List.of(), null);

    Entry with(Mode newMode) {
      return new Entry(newMode, a, aaaa, srv, cname);
    }
  }

  private record Srv(int priority, int weight, int port, String target) {
  }

  private static final long TTL_SECONDS = 1;

  private final Map<String, Entry> names = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
  private final EventLoopGroup group;
  private final Channel channel;

  /** Starts a server on 127.0.0.1 on an ephemeral port. */
  public TestDnsServer() {
    this(0);
  }

  /**
   * Starts a server on 127.0.0.1.
   *
   * @param port the UDP port, or 0 for an ephemeral one
   */
  public TestDnsServer(int port) {
    this(new InetSocketAddress(NetUtil.LOCALHOST4, port));
  }

  /**
   * Starts a server on the given address (the real-network tests bind one inside a namespace).
   *
   * @param bind the UDP address, port 0 for an ephemeral one
   */
  public TestDnsServer(InetSocketAddress bind) {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      channel = new Bootstrap()
          .group(group)
          .channel(NioDatagramChannel.class)
          .handler(new ChannelInitializer<NioDatagramChannel>() {
            @Override
            protected void initChannel(NioDatagramChannel ch) {
              ch.pipeline().addLast(
                  new DatagramDnsQueryDecoder(),
                  new DatagramDnsResponseEncoder(),
                  new QueryHandler());
            }
          })
          .bind(bind)
          .syncUninterruptibly()
          .channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /**
   * The UDP port the server listens on.
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /**
   * The address the server listens on, as {@code 127.0.0.1:port}.
   *
   * @return the address
   */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /**
   * Adds an A record.
   *
   * @param name the name
   * @param ipv4 an IPv4 literal
   * @return this server
   */
  public TestDnsServer addA(String name, String ipv4) {
    byte[] bytes = address(ipv4, 4);
    update(name, e -> new Entry(e.mode(), plus(e.a(), bytes), e.aaaa(), e.srv(), e.cname()));
    return this;
  }

  /**
   * Removes an A record, if present.
   *
   * @param name the name
   * @param ipv4 an IPv4 literal
   * @return this server
   */
  public TestDnsServer removeA(String name, String ipv4) {
    byte[] bytes = address(ipv4, 4);
    update(name, e -> new Entry(e.mode(), minus(e.a(), bytes), e.aaaa(), e.srv(), e.cname()));
    return this;
  }

  /**
   * Adds an AAAA record.
   *
   * @param name the name
   * @param ipv6 an IPv6 literal, without brackets
   * @return this server
   */
  public TestDnsServer addAAAA(String name, String ipv6) {
    byte[] bytes = address(ipv6, 16);
    update(name, e -> new Entry(e.mode(), e.a(), plus(e.aaaa(), bytes), e.srv(), e.cname()));
    return this;
  }

  /**
   * Removes an AAAA record, if present.
   *
   * @param name the name
   * @param ipv6 an IPv6 literal, without brackets
   * @return this server
   */
  public TestDnsServer removeAAAA(String name, String ipv6) {
    byte[] bytes = address(ipv6, 16);
    update(name, e -> new Entry(e.mode(), e.a(), minus(e.aaaa(), bytes), e.srv(), e.cname()));
    return this;
  }

  /**
   * Adds an SRV record; its target is typically given A records on this server too.
   *
   * @param name the service name, e.g. {@code _cluster._tcp.app.test}
   * @param priority the record priority
   * @param weight the record weight
   * @param port the port of the service on the target
   * @param target the target host name
   * @return this server
   */
  public TestDnsServer addSrv(String name, int priority, int weight, int port, String target) {
    Srv srv = new Srv(priority, weight, port, normalize(target));
    update(name, e -> {
      List<Srv> list = new ArrayList<>(e.srv());
      list.remove(srv);
      list.add(srv);
      return new Entry(e.mode(), e.a(), e.aaaa(), List.copyOf(list), e.cname());
    });
    return this;
  }

  /**
   * Removes an SRV record, if present.
   *
   * @param name the service name
   * @param priority the record priority
   * @param weight the record weight
   * @param port the port
   * @param target the target host name
   * @return this server
   */
  public TestDnsServer removeSrv(String name, int priority, int weight, int port, String target) {
    Srv srv = new Srv(priority, weight, port, normalize(target));
    update(name, e -> {
      List<Srv> list = new ArrayList<>(e.srv());
      list.remove(srv);
      return new Entry(e.mode(), e.a(), e.aaaa(), List.copyOf(list), e.cname());
    });
    return this;
  }

  /**
   * Makes a name an alias: every question about it is answered with only a CNAME record to the
   * target (as a non-recursive server would), so the client must ask again about the target.
   *
   * @param name the alias
   * @param target the canonical name
   * @return this server
   */
  public TestDnsServer cname(String name, String target) {
    String canonical = normalize(target);
    update(name, e -> new Entry(e.mode(), e.a(), e.aaaa(), e.srv(), canonical));
    return this;
  }

  /**
   * Removes every record of a name and makes it answer again: it exists, with empty answers.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer clear(String name) {
    names.put(normalize(name), Entry.EMPTY);
    return this;
  }

  /**
   * Makes a name answer NXDOMAIN (its records are kept for a later {@link #answer(String)}).
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer nxdomain(String name) {
    return mode(name, Mode.NXDOMAIN);
  }

  /**
   * Makes a name answer SERVFAIL.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer servfail(String name) {
    return mode(name, Mode.SERVFAIL);
  }

  /**
   * Makes the server ignore queries for a name, so that clients time out.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer drop(String name) {
    return mode(name, Mode.DROP);
  }

  /**
   * Makes a name answer with a packet whose header is valid (same id, one answer announced) but
   * whose answer record is cut short, so that decoding it fails.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer malformed(String name) {
    return mode(name, Mode.MALFORMED);
  }

  /**
   * Makes a name answer with a well-formed packet whose A, AAAA or SRV answer has data of an
   * impossible size (3 bytes), so that the packet decodes but the record cannot be read.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer malformedRecord(String name) {
    return mode(name, Mode.MALFORMED_RECORD);
  }

  /**
   * Makes a name answer its records again after {@link #nxdomain}, {@link #servfail},
   * {@link #drop}, {@link #malformed} or
   * {@link #malformedRecord}.
   *
   * @param name the name
   * @return this server
   */
  public TestDnsServer answer(String name) {
    return mode(name, Mode.ANSWER);
  }

  /**
   * How many queries (of any type) the server received for a name.
   *
   * @param name the name
   * @return the count
   */
  public int queryCount(String name) {
    AtomicInteger count = queries.get(normalize(name));
    return count == null ? 0 : count.get();
  }

  /** Closes the socket and stops the server's event loop, waiting for both. */
  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private TestDnsServer mode(String name, Mode mode) {
    update(name, e -> e.with(mode));
    return this;
  }

  private void update(String name, java.util.function.UnaryOperator<Entry> change) {
    names.compute(normalize(name), (k, e) -> change.apply(e == null ? Entry.EMPTY : e));
  }

  private static List<byte[]> plus(List<byte[]> list, byte[] bytes) {
    List<byte[]> copy = new ArrayList<>(minus(list, bytes));
    copy.add(bytes);
    return List.copyOf(copy);
  }

  private static List<byte[]> minus(List<byte[]> list, byte[] bytes) {
    List<byte[]> copy = new ArrayList<>(list);
    copy.removeIf(b -> java.util.Arrays.equals(b, bytes));
    return List.copyOf(copy);
  }

  private static byte[] address(String literal, int length) {
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(literal);
    if (bytes == null || bytes.length != length) {
      throw new IllegalArgumentException("not an IPv" + (length == 4 ? 4 : 6) + " literal: " + literal);
    }
    return bytes;
  }

  private static String normalize(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }

  /** Answers one query at a time on the server's event loop. */
  private final class QueryHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
      if (query.count(DnsSection.QUESTION) != 1) {
        reply(ctx, query, null, DnsResponseCode.FORMERR);
        return;
      }
      DnsQuestion question = query.recordAt(DnsSection.QUESTION);
      String name = normalize(question.name());
      queries.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
      Entry entry = names.get(name);
      if (entry == null) {
        reply(ctx, query, question, DnsResponseCode.NXDOMAIN);
        return;
      }
      switch (entry.mode()) {
        case NXDOMAIN -> reply(ctx, query, question, DnsResponseCode.NXDOMAIN);
        case SERVFAIL -> reply(ctx, query, question, DnsResponseCode.SERVFAIL);
        case DROP -> { }
        case MALFORMED -> ctx.writeAndFlush(new DatagramPacket(malformedPacket(query), query.sender()));
        case MALFORMED_RECORD -> {
          DatagramDnsResponse response = newResponse(query, question, DnsResponseCode.NOERROR);
          addAnswer(response, question, question.type(), Unpooled.wrappedBuffer(new byte[] {127, 0, 0}));
          ctx.writeAndFlush(response);
        }
        case ANSWER -> {
          DatagramDnsResponse response = newResponse(query, question, DnsResponseCode.NOERROR);
          DnsRecordType type = question.type();
          if (entry.cname() != null) {
            addAnswer(response, question, DnsRecordType.CNAME, nameData(entry.cname()));
          } else if (type == DnsRecordType.A) {
            entry.a().forEach(b -> addAnswer(response, question, type, Unpooled.wrappedBuffer(b)));
          } else if (type == DnsRecordType.AAAA) {
            entry.aaaa().forEach(b -> addAnswer(response, question, type, Unpooled.wrappedBuffer(b)));
          } else if (type == DnsRecordType.SRV) {
            entry.srv().forEach(s -> addAnswer(response, question, type, srvData(question.name(), s)));
          }
          ctx.writeAndFlush(response);
        }
        default -> throw new IllegalStateException("unknown mode " + entry.mode());
      }
    }

    private void reply(ChannelHandlerContext ctx, DatagramDnsQuery query, DnsQuestion question,
        DnsResponseCode code) {
      ctx.writeAndFlush(newResponse(query, question, code));
    }

    private DatagramDnsResponse newResponse(DatagramDnsQuery query, DnsQuestion question,
        DnsResponseCode code) {
      DatagramDnsResponse response = new DatagramDnsResponse(
          query.recipient(), query.sender(), query.id(), query.opCode(), code);
      response.setAuthoritativeAnswer(true);
      response.setRecursionDesired(query.isRecursionDesired());
      response.setRecursionAvailable(true);
      if (question != null) {
        response.addRecord(DnsSection.QUESTION, question);
      }
      return response;
    }

    private void addAnswer(DatagramDnsResponse response, DnsQuestion question, DnsRecordType type,
        ByteBuf data) {
      response.addRecord(DnsSection.ANSWER,
          new DefaultDnsRawRecord(question.name(), type, TTL_SECONDS, data));
    }

    /**
     * SRV data. Real servers often compress the target against the question name (RFC 2782
     * forbids it, resolvers must cope), so this one does too when they share a suffix: the
     * question is encoded uncompressed right after the 12-byte header, so offsets are known.
     */
    private ByteBuf srvData(String questionName, Srv srv) {
      ByteBuf data = Unpooled.buffer();
      data.writeShort(srv.priority());
      data.writeShort(srv.weight());
      data.writeShort(srv.port());
      String[] question = normalize(questionName).split("\\.");
      String[] target = srv.target().split("\\.");
      int shared = 0;
      while (shared < question.length && shared < target.length
          && question[question.length - 1 - shared].equals(target[target.length - 1 - shared])) {
        shared++;
      }
      for (int i = 0; i < target.length - shared; i++) {
        writeLabel(data, target[i]);
      }
      if (shared == 0) {
        data.writeByte(0);
      } else {
        int offset = 12;
        for (int i = 0; i < question.length - shared; i++) {
          offset += 1 + question[i].length();
        }
        data.writeShort(0xC000 | offset);
      }
      return data;
    }

    private ByteBuf nameData(String name) {
      ByteBuf data = Unpooled.buffer();
      for (String label : name.split("\\.")) {
        writeLabel(data, label);
      }
      data.writeByte(0);
      return data;
    }

    private void writeLabel(ByteBuf out, String label) {
      byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
      out.writeByte(bytes.length);
      out.writeBytes(bytes);
    }

    /**
     * A response header announcing one question and one answer, the question echoed, then an
     * answer record whose data length claims more bytes than the packet holds.
     */
    private ByteBuf malformedPacket(DatagramDnsQuery query) {
      DnsQuestion question = query.recordAt(DnsSection.QUESTION);
      ByteBuf out = Unpooled.buffer();
      out.writeShort(query.id());
      out.writeShort(0x8180); // QR, RD, RA, NOERROR
      out.writeShort(1);
      out.writeShort(1);
      out.writeShort(0);
      out.writeShort(0);
      writeName(out, question.name());
      out.writeShort(question.type().intValue());
      out.writeShort(1);
      out.writeShort(0xC00C); // pointer to the question name
      out.writeShort(question.type().intValue());
      out.writeShort(1);
      out.writeInt(1);
      out.writeShort(200); // rdlength far beyond the end of the packet
      out.writeByte(127);
      return out;
    }

    private void writeName(ByteBuf out, String name) {
      for (String label : normalize(name).split("\\.")) {
        byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
        out.writeByte(bytes.length);
        out.writeBytes(bytes);
      }
      out.writeByte(0);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A test server must survive whatever a client sends; the client will time out.
    }
  }
}
