package dev.cloister.junit5.internal;

import dev.cloister.CloisterOptions;
import io.vertx.core.Verticle;

import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;

/**
 * What a test cluster is made of, checked by the builder.
 *
 * @param nodes how many nodes start
 * @param consensus every node's consensus
 * @param timeout the bound of each wait
 * @param deploy verticles deployed on each node once READY
 * @param options adjusts each in-JVM node's options
 */
public record KitConfig(int nodes, int consensus, Duration timeout, List<Class<? extends Verticle>> deploy,
                        BiFunction<Integer, CloisterOptions, CloisterOptions> options) {
}
