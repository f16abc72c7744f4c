package dev.cloister.impl.config;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SentryTest {

  private static final int PORT = 7800;

  private static List<HostAndPort> seeds(String... values) {
    return Arrays.stream(values).map(v -> HostAndPort.parse(v, PORT)).toList();
  }

  @Test
  void nothing_configured_means_this_node_alone() {
    for (Object value : Arrays.asList(null, "", "  ", "[]", List.of(), new JsonArray())) {
      Sentry sentry = Sentry.parse(value, PORT);
      assertTrue(sentry.isStatic(), "for " + value);
      assertFalse(sentry.isDns());
      assertTrue(sentry.staticSeeds().isEmpty());
      assertNull(sentry.dnsName());
    }
  }

  @Test
  void a_list_of_host_ports_is_static_and_keeps_its_order() {
    Sentry sentry = Sentry.parse(List.of("node-b:7801", "node-a:7802", "10.0.0.3"), PORT);
    assertTrue(sentry.isStatic());
    assertEquals(List.of(new HostAndPort("node-b", 7801), new HostAndPort("node-a", 7802),
        new HostAndPort("10.0.0.3", PORT)), sentry.staticSeeds());
  }

  @Test
  void a_json_array_is_static_like_a_list() {
    assertEquals(Sentry.parse(List.of("a:1", "b:2"), PORT),
        Sentry.parse(new JsonArray().add("a:1").add("b:2"), PORT));
  }

  @Test
  void a_comma_separated_string_is_static() {
    Sentry sentry = Sentry.parse(" 127.0.0.1:7800, 127.0.0.1:7801 ,node3 ", PORT);
    assertEquals(seeds("127.0.0.1:7800", "127.0.0.1:7801", "node3:7800"), sentry.staticSeeds());
  }

  @Test
  void a_single_host_port_string_is_a_static_list_of_one() {
    Sentry sentry = Sentry.parse("cloister-1:7900", PORT);
    assertTrue(sentry.isStatic());
    assertEquals(seeds("cloister-1:7900"), sentry.staticSeeds());
  }

  @Test
  void a_single_ip_literal_is_static_with_the_default_port() {
    Sentry sentry = Sentry.parse("10.1.2.3", PORT);
    assertTrue(sentry.isStatic());
    assertEquals(List.of(new HostAndPort("10.1.2.3", PORT)), sentry.staticSeeds());
  }

  @Test
  void a_json_array_in_a_string_is_static_as_environment_variables_write_it() {
    Sentry sentry = Sentry.parse("[\"a:7801\", \"[::1]:7802\"]", PORT);
    assertEquals(List.of(new HostAndPort("a", 7801), new HostAndPort("::1", 7802)),
        sentry.staticSeeds());
  }

  @Test
  void ipv6_seeds_are_bracketed_and_may_omit_the_port() {
    Sentry sentry = Sentry.parse(List.of("[::1]:7801", "[fe80::1]", "2001:db8::5"), PORT);
    assertEquals(List.of(new HostAndPort("::1", 7801), new HostAndPort("fe80::1", PORT),
        new HostAndPort("2001:db8::5", PORT)), sentry.staticSeeds());
    assertEquals("[::1]:7801", sentry.staticSeeds().get(0).toString());
  }

  @Test
  void duplicate_seeds_are_listed_once() {
    assertEquals(seeds("a:1", "b:2"), Sentry.parse(List.of("a:1", "b:2", "a:1"), PORT).staticSeeds());
  }

  @Test
  void a_plain_name_is_resolved_by_a_and_aaaa_records() {
    Sentry sentry = Sentry.parse("Cloister.Default.svc.cluster.local.", PORT);
    assertTrue(sentry.isDns());
    assertFalse(sentry.isStatic());
    assertFalse(sentry.isSrv());
    assertEquals("cloister.default.svc.cluster.local", sentry.dnsName());
    assertEquals(PORT, sentry.defaultPort());
    assertTrue(sentry.staticSeeds().isEmpty());
  }

  @Test
  void a_single_label_name_is_a_dns_name() {
    Sentry sentry = Sentry.parse("cloister", PORT);
    assertTrue(sentry.isDns());
    assertEquals("cloister", sentry.dnsName());
  }

  @ParameterizedTest
  @ValueSource(strings = {"_cloister._tcp.app.test", "_jgroups._udp.svc.cluster.local", "_x._TCP.y"})
  void a_service_name_is_resolved_by_srv_records(String name) {
    Sentry sentry = Sentry.parse(name, PORT);
    assertTrue(sentry.isDns());
    assertTrue(sentry.isSrv());
    assertEquals(name.toLowerCase(java.util.Locale.ROOT), sentry.dnsName());
  }

  @Test
  void an_underscore_name_without_a_protocol_is_a_plain_name() {
    Sentry sentry = Sentry.parse("_cloister.app.test", PORT);
    assertTrue(sentry.isDns());
    assertFalse(sentry.isSrv());
  }

  @Test
  void host_and_port_prints_what_it_parses() {
    for (String text : List.of("a:1", "10.0.0.1:65535", "[::1]:7800", "[2001:db8::1]:1")) {
      assertEquals(text, HostAndPort.parse(text, PORT).toString());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "host:0", "host:65536", "host:-1", "host:abc", "host:", ":7800", "a,,b", "a:1,",
      "[::1", "[::1]x", "[::1]:", "[zz::1]:7800", "host name", "bad!name", "a..b", "-a",
      "999.1.1.1:7800", "[\"a:1\", 5]", "[\"a:1\"", "a:99999999999"
  })
  void invalid_strings_fail_naming_the_option_and_the_value(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Sentry.parse(value, PORT));
    assertTrue(e.getMessage().contains("sentry"), e.getMessage());
    assertTrue(e.getMessage().contains(value), e.getMessage());
  }

  @Test
  void invalid_list_entries_fail_naming_the_option_and_the_entry() {
    for (List<?> value : List.of(List.of("ok:1", "bad:0"), List.of(""), List.of(7800),
        List.of("a:1", "[::1]:70000"))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Sentry.parse(value, PORT));
      assertTrue(e.getMessage().contains("sentry"), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Sentry.parse(List.of("a:1", "b:70000"), PORT));
    assertTrue(e.getMessage().contains("b:70000"), e.getMessage());
  }

  @Test
  void other_types_fail_naming_the_option() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Sentry.parse(42, PORT));
    assertTrue(e.getMessage().contains("sentry") && e.getMessage().contains("42"), e.getMessage());
  }

  @Test
  void an_invalid_default_port_fails() {
    assertThrows(IllegalArgumentException.class, () -> Sentry.parse("a:1", 0));
    assertThrows(IllegalArgumentException.class, () -> Sentry.parse("a:1", 65536));
  }

  @Test
  void equal_texts_give_equal_sentries() {
    assertEquals(Sentry.parse("app.test", PORT), Sentry.parse("APP.test.", PORT));
    assertEquals(Sentry.parse("a:1,b:2", PORT).hashCode(), Sentry.parse(List.of("a:1", "b:2"), PORT).hashCode());
  }

  @org.junit.jupiter.api.Test
  void aListOfOneNameIsTheDnsNameAsTheOptionsKeepIt() {
    Sentry listed = Sentry.parse(java.util.List.of("cloister.local"), PORT);
    org.junit.jupiter.api.Assertions.assertTrue(listed.isDns());
    org.junit.jupiter.api.Assertions.assertEquals("cloister.local", listed.dnsName());
    org.junit.jupiter.api.Assertions.assertTrue(Sentry.parse(new io.vertx.core.json.JsonArray().add("_c._tcp.svc.local"), PORT).isSrv());
    org.junit.jupiter.api.Assertions.assertTrue(Sentry.parse(java.util.List.of("node1:7800"), PORT).isStatic());
    org.junit.jupiter.api.Assertions.assertTrue(Sentry.parse(java.util.List.of("10.0.0.1"), PORT).isStatic());
  }
}
