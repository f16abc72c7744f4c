package com.example;

import dev.cloister.Cloister;
import io.vertx.core.AbstractVerticle;

/**
 * The application's clustered piece: any node greets a name and says which node owns it on the
 * ring, so every node answers alike once the cluster agrees.
 */
public class Greeter extends AbstractVerticle {

  /** Where greetings are asked, on every node. */
  public static final String ADDRESS = "greeter";

  @Override
  public void start() {
    Cloister cloister = Cloister.of(vertx);
    vertx.eventBus().<String>consumer(ADDRESS, m -> m.reply("hello " + m.body() + ", owned by " + cloister.whois(m.body())));
  }
}
