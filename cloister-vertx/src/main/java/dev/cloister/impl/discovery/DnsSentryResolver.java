package dev.cloister.impl.discovery;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.Sentry;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Resolves a DNS {@link Sentry} to the addresses of the nodes it names, asking the DNS servers
 * anew on every call (no cache: the sentry is re-resolved every {@code discoveryInterval} and
 * must see changes).
 *
 * <p>Outcomes of {@link #resolve(Sentry)}:
 * <ul>
 *   <li>an authoritative answer, including an empty one (NOERROR without records) and NXDOMAIN,
 *       succeeds with the addresses found, possibly none: NXDOMAIN means "nobody is registered
 *       under this name now" (for instance a headless service without ready pods);</li>
 *   <li>no usable answer (every server timed out, answered SERVFAIL, REFUSED or a malformed
 *       packet) fails with a {@link DnsSentryException} naming the name and the server(s): the
 *       caller keeps what it knew and retries; nothing here is fatal.</li>
 * </ul>
 * A/AAAA: every address with the default port; A and AAAA are both asked, and a failure of one
 * is ignored when the other found addresses (some servers mishandle AAAA). SRV: every target
 * (priority and weight are ignored: all are seeds) resolved to its addresses, with the port of
 * its record; if any target cannot be resolved the whole resolution fails, so that a success is
 * always the complete list. Results are deduplicated and sorted (IPv4 before IPv6, then by
 * address bytes and port), so two resolutions of the same records compare equal.
 *
 * <p>Names are asked as written (fully qualified: search domains of resolv.conf are not applied)
 * and the hosts file is not read. Servers are tried in order; each query is bounded by the query
 * timeout, so every resolution ends. The resolver runs on the Vert.x event loop of the context
 * that created it and never blocks it.
 */
public final class DnsSentryResolver implements AutoCloseable {

  /** CNAME chains longer than this are treated as a loop. */
  private static final int MAX_CNAME_DEPTH = 8;

  private final Vertx vertx;
  private final List<InetSocketAddress> servers;
  private final DnsServerAddressStreamProvider systemServers;
  private final long queryTimeoutMillis;
  private final DnsNameResolver resolver;

  /**
   * Creates a resolver running on the event loop of the current (or a new) Vert.x context.
   *
   * @param vertx the Vert.x instance whose event loop and transport are used
   * @param dnsServers servers to ask, in order; empty to use the system's (resolv.conf)
   * @param queryTimeoutMillis how long to wait for one server's answer to one query, &gt; 0
   * @throws IllegalArgumentException if a server is not an IP address literal or the timeout is
   *     not positive
   */
  public DnsSentryResolver(Vertx vertx, List<HostAndPort> dnsServers, long queryTimeoutMillis) {
    if (queryTimeoutMillis <= 0) {
      throw new IllegalArgumentException("DNS query timeout must be > 0, got " + queryTimeoutMillis);
    }
    this.vertx = vertx;
    this.queryTimeoutMillis = queryTimeoutMillis;
    this.servers = toSocketAddresses(dnsServers);
    // The platform default reads resolv.conf once per JVM; nothing is read per resolution.
    this.systemServers = servers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault() : null;
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Transport transport = ((VertxInternal) vertx).transport();
    ChannelFactory<DatagramChannel> channels = transport::datagramChannel;
    this.resolver = new DnsNameResolverBuilder(context.nettyEventLoop())
        .datagramChannelFactory(channels)
        .queryTimeoutMillis(queryTimeoutMillis)
        // query() bypasses these caches today; the no-op caches make sure no later netty
        // change lets a cached answer hide a node that joined or left.
        .resolveCache(NoopDnsCache.INSTANCE)
        .cnameCache(NoopDnsCnameCache.INSTANCE)
        .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
        .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
        // Every query names its server (see serversFor); this list is only netty's fallback.
        .nameServerProvider(systemServers != null
            ? systemServers
            : new SequentialDnsServerAddressStreamProvider(servers))
        .searchDomains(List.of())
        .recursionDesired(true)
        .build();
  }

  private static List<InetSocketAddress> toSocketAddresses(List<HostAndPort> dnsServers) {
    List<InetSocketAddress> result = new ArrayList<>();
    for (HostAndPort server : dnsServers) {
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(server.host());
      if (bytes == null) {
        throw new IllegalArgumentException(
            "Invalid value for option dnsServers: '" + server + "' (must be an IP address)");
      }
      try {
        result.add(new InetSocketAddress(InetAddress.getByAddress(bytes), server.port()));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "Invalid value for option dnsServers: '" + server + "' (" + e.getMessage() + ")", e);
      }
    }
    return List.copyOf(result);
  }

  /**
   * Resolves a sentry to the addresses of its nodes; a static sentry gives its seeds at once.
   *
   * @param sentry the sentry
   * @return the sorted addresses, possibly none; failed with a {@link DnsSentryException} when
   *     no server gave a usable answer
   */
  public Future<List<HostAndPort>> resolve(Sentry sentry) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    if (sentry.isStatic()) {
      return context.succeededFuture(sentry.staticSeeds());
    }
    Future<List<Endpoint>> endpoints = sentry.isSrv()
        ? resolveSrv(context, sentry.dnsName())
        : resolveAddresses(context, sentry.dnsName(), sentry.defaultPort());
    // Future.all has no context of its own, so a listener added once the answer is in would run on
    // the caller's thread: hand the answer over through a promise of this context instead.
    Promise<List<HostAndPort>> answer = context.promise();
    endpoints.map(DnsSentryResolver::sorted).onComplete(answer);
    return answer.future();
  }

  /** Closes the resolver's socket; later resolutions fail. */
  @Override
  public void close() {
    resolver.close();
  }

  // ---- SRV ------------------------------------------------------------------------------------

  private Future<List<Endpoint>> resolveSrv(ContextInternal context, String name) {
    return ask(context, name, DnsRecordType.SRV, 0).compose(answer -> {
      List<Future<List<Endpoint>>> targets = new ArrayList<>();
      for (Srv srv : answer.srv()) {
        if (!srv.target().isEmpty()) { // "." means "no service here" (RFC 2782)
          targets.add(resolveAddresses(context, srv.target(), srv.port()));
        }
      }
      return Future.all(targets).map(all -> {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          endpoints.addAll(all.<List<Endpoint>>resultAt(i));
        }
        return endpoints;
      });
    });
  }

  // ---- A / AAAA -------------------------------------------------------------------------------

  private Future<List<Endpoint>> resolveAddresses(ContextInternal context, String name, int port) {
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(name);
    if (literal != null) {
      return context.succeededFuture(List.of(new Endpoint(literal, port)));
    }
    Future<Answer> a = ask(context, name, DnsRecordType.A, 0);
    Future<Answer> aaaa = ask(context, name, DnsRecordType.AAAA, 0);
    return Future.join(a, aaaa).transform(ignored -> {
      List<Endpoint> endpoints = new ArrayList<>();
      for (Future<Answer> f : List.of(a, aaaa)) {
        if (f.succeeded()) {
          f.result().addresses().forEach(bytes -> endpoints.add(new Endpoint(bytes, port)));
        }
      }
      // Addresses from one family are a usable answer even if the other family failed.
      if (endpoints.isEmpty() && (a.failed() || aaaa.failed())) {
        return context.failedFuture(a.failed() ? a.cause() : aaaa.cause());
      }
      return context.succeededFuture(endpoints);
    });
  }

  // ---- One question, every server -------------------------------------------------------------

  /** Asks the servers in turn until one gives an authoritative answer, following CNAMEs. */
  private Future<Answer> ask(ContextInternal context, String name, DnsRecordType type, int depth) {
    List<InetSocketAddress> candidates = serversFor(name);
    Promise<Answer> promise = context.promise();
    askServer(name, type, candidates, 0, new ArrayList<>(), promise);
    return promise.future().compose(answer -> {
      if (answer.isEmpty() && answer.cname() != null) {
        if (depth >= MAX_CNAME_DEPTH) {
          return context.failedFuture(new DnsSentryException(
              "CNAME chain too long resolving '" + name + "' (" + type.name() + ")", null));
        }
        return ask(context, answer.cname(), type, depth + 1);
      }
      return context.succeededFuture(answer);
    });
  }

  private List<InetSocketAddress> serversFor(String name) {
    if (!servers.isEmpty()) {
      return servers;
    }
    DnsServerAddressStream stream = systemServers.nameServerAddressStream(name);
    List<InetSocketAddress> list = new ArrayList<>();
    for (int i = 0; i < stream.size(); i++) {
      list.add(stream.next());
    }
    return list;
  }

  private void askServer(String name, DnsRecordType type, List<InetSocketAddress> candidates,
      int index, List<String> errors, Promise<Answer> promise) {
    if (index >= candidates.size()) {
      String why = errors.isEmpty() ? "no DNS server configured" : String.join("; ", errors);
      promise.fail(new DnsSentryException(
          "Cannot resolve sentry '" + name + "' (" + type.name() + "): " + why, null));
      return;
    }
    InetSocketAddress server = candidates.get(index);
    String serverText = NetUtil.toSocketAddressString(server);
    io.netty.util.concurrent.Future<AddressedEnvelope<DnsResponse, InetSocketAddress>> query;
    try {
      query = resolver.query(server, new DefaultDnsQuestion(name, type));
    } catch (RuntimeException e) {
      errors.add("query to " + serverText + " failed: " + e);
      askServer(name, type, candidates, index + 1, errors, promise);
      return;
    }
    query.addListener(done -> {
      String error;
      if (done.isSuccess()) {
        @SuppressWarnings("unchecked")
        AddressedEnvelope<DnsResponse, InetSocketAddress> envelope =
            (AddressedEnvelope<DnsResponse, InetSocketAddress>) done.getNow();
        try {
          Answer answer = read(envelope.content(), type);
          promise.complete(answer);
          return;
        } catch (DnsAnswerException e) {
          error = "server " + serverText + " " + e.getMessage();
        } catch (RuntimeException e) {
          error = "server " + serverText + " sent a malformed answer (" + e + ")";
        } finally {
          envelope.release();
        }
      } else if (done.cause() instanceof DnsNameResolverTimeoutException) {
        error = "no answer from " + serverText + " within " + queryTimeoutMillis + " ms";
      } else {
        error = "query to " + serverText + " failed: " + describe(done.cause());
      }
      errors.add(error);
      askServer(name, type, candidates, index + 1, errors, promise);
    });
  }

  /** The messages of a failure and its causes, since netty wraps the useful one. */
  private static String describe(Throwable cause) {
    StringBuilder text = new StringBuilder();
    int depth = 0;
    for (Throwable c = cause; c != null && depth < 5; c = c.getCause(), depth++) {
      if (depth > 0) {
        text.append(": ");
      }
      text.append(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
    }
    return text.toString();
  }

  // ---- Reading answers ------------------------------------------------------------------------

  /** Turns a response into plain values, so no netty buffer outlives the listener. */
  private static Answer read(DnsResponse response, DnsRecordType type) throws DnsAnswerException {
    DnsResponseCode code = response.code();
    if (code.equals(DnsResponseCode.NXDOMAIN)) {
      return Answer.NONE;
    }
    if (!code.equals(DnsResponseCode.NOERROR)) {
      // netty prints "ServFail(2)"; operators know the RFC spelling.
      String rcode = code.toString().replaceFirst("\\(\\d+\\)$", "").toUpperCase(Locale.ROOT);
      throw new DnsAnswerException("answered " + rcode + " (rcode " + code.intValue() + ")");
    }
    List<byte[]> addresses = new ArrayList<>();
    List<Srv> srv = new ArrayList<>();
    String cname = null;
    int count = response.count(DnsSection.ANSWER);
    for (int i = 0; i < count; i++) {
      DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
      if (!(record instanceof DnsRawRecord raw)) {
        continue;
      }
      ByteBuf data = raw.content();
      DnsRecordType recordType = record.type();
      if (recordType.equals(type) && (type.equals(DnsRecordType.A) || type.equals(DnsRecordType.AAAA))) {
        int length = type.equals(DnsRecordType.A) ? 4 : 16;
        if (data.readableBytes() != length) {
          throw new DnsAnswerException("sent a malformed " + type.name() + " record of "
              + data.readableBytes() + " bytes");
        }
        byte[] bytes = new byte[length];
        data.getBytes(data.readerIndex(), bytes);
        addresses.add(bytes);
      } else if (recordType.equals(type) && type.equals(DnsRecordType.SRV)) {
        srv.add(readSrv(data));
      } else if (recordType.equals(DnsRecordType.CNAME)) {
        // Recursive servers answer the chain and its end; a lone CNAME is followed by the caller.
        cname = HostAndPort.normalizeName(DefaultDnsRecordDecoder.decodeName(data.duplicate()));
      }
    }
    return new Answer(addresses, srv, cname);
  }

  private static Srv readSrv(ByteBuf data) throws DnsAnswerException {
    // The record's buffer is a view of the whole packet, so compressed targets can be followed.
    ByteBuf in = data.duplicate();
    if (in.readableBytes() < 7) {
      throw new DnsAnswerException("sent a malformed SRV record of " + in.readableBytes() + " bytes");
    }
    in.skipBytes(4); // priority and weight: every target is a seed
    int port = in.readUnsignedShort();
    String target = HostAndPort.normalizeName(DefaultDnsRecordDecoder.decodeName(in));
    if (port == 0 && !target.isEmpty()) {
      throw new DnsAnswerException("sent an SRV record with port 0 for " + target);
    }
    return new Srv(port, target);
  }

  private static List<HostAndPort> sorted(List<Endpoint> endpoints) {
    Set<Endpoint> unique = new TreeSet<>(Endpoint.ORDER);
    unique.addAll(endpoints);
    List<HostAndPort> result = new ArrayList<>(unique.size());
    for (Endpoint endpoint : unique) {
      result.add(endpoint.toHostAndPort());
    }
    return List.copyOf(result);
  }

  // ---- Values ---------------------------------------------------------------------------------

  /** What one server answered to one question. */
  private record Answer(List<byte[]> addresses, List<Srv> srv, String cname) {
    static final Answer NONE = new Answer(List.of(), List.of(), null);

    boolean isEmpty() {
      return addresses.isEmpty() && srv.isEmpty();
    }
  }

  private record Srv(int port, String target) {
  }

  /** An address and port, ordered IPv4 first, then by unsigned address bytes, then port. */
  private record Endpoint(byte[] address, int port) {
    static final Comparator<Endpoint> ORDER = Comparator
        .comparingInt((Endpoint e) -> e.address.length)
        .thenComparing(Endpoint::address, Arrays::compareUnsigned)
        .thenComparingInt(Endpoint::port);

    HostAndPort toHostAndPort() {
      try {
        return new HostAndPort(NetUtil.toAddressString(InetAddress.getByAddress(address)), port);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("address of " + address.length + " bytes", e);
      }
    }
  }

  /** A server's answer that cannot be used: try the next server. */
  private static final class DnsAnswerException extends Exception {
    private static final long serialVersionUID = 1L;

    DnsAnswerException(String message) {
      super(message, null, false, false);
    }
  }
}
