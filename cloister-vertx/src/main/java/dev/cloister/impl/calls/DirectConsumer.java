package dev.cloister.impl.calls;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.streams.ReadStream;

/**
 * A consumer registered through Cloister: the user's address and its node-scoped alias
 * ({@link CallProtocol#direct}), one handler, one lifetime. Flow control and the handler apply to
 * both. Unregistering removes the address at once and retires the alias: for
 * {@link CallProtocol#RETIRE_GRACE} it answers {@link CallProtocol#RETIRED}, so that a caller
 * whose node still routes to it falls back to the inbox at once instead of waiting for its
 * timeout (a message to a consumer gone from a node gets no answer), then it goes too.
 *
 * @param <T> the body type
 */
final class DirectConsumer<T> implements MessageConsumer<T> {

  private final Vertx vertx;
  private final MessageConsumer<T> shared;
  private final MessageConsumer<T> alias;
  private volatile boolean retired;

  DirectConsumer(Vertx vertx, MessageConsumer<T> shared, MessageConsumer<T> alias) {
    this.vertx = vertx;
    this.shared = shared;
    this.alias = alias;
  }

  @Override
  public MessageConsumer<T> exceptionHandler(Handler<Throwable> handler) {
    shared.exceptionHandler(handler);
    alias.exceptionHandler(handler);
    return this;
  }

  @Override
  public MessageConsumer<T> handler(Handler<Message<T>> handler) {
    shared.handler(handler);
    if (!retired) {
      alias.handler(handler);
    }
    return this;
  }

  @Override
  public MessageConsumer<T> pause() {
    shared.pause();
    alias.pause();
    return this;
  }

  @Override
  public MessageConsumer<T> resume() {
    shared.resume();
    alias.resume();
    return this;
  }

  @Override
  public MessageConsumer<T> fetch(long amount) {
    shared.fetch(amount);
    alias.fetch(amount);
    return this;
  }

  @Override
  public MessageConsumer<T> endHandler(Handler<Void> endHandler) {
    shared.endHandler(endHandler);
    return this;
  }

  @Override
  public ReadStream<T> bodyStream() {
    return new Bodies();
  }

  @Override
  public boolean isRegistered() {
    return shared.isRegistered();
  }

  @Override
  public String address() {
    return shared.address();
  }

  @Override
  public Future<Void> completion() {
    return Future.all(shared.completion(), alias.completion()).mapEmpty();
  }

  @Override
  public Future<Void> unregister() {
    if (!retired) {
      retired = true;
      alias.handler(m -> m.fail(CallProtocol.RETIRED, "unregistered; call through the inbox"));
      alias.resume();
      vertx.setTimer(CallProtocol.RETIRE_GRACE, t -> alias.unregister());
    }
    return shared.unregister();
  }

  /** The bodies of the messages of both addresses. */
  private final class Bodies implements ReadStream<T> {

    @Override
    public ReadStream<T> exceptionHandler(Handler<Throwable> handler) {
      DirectConsumer.this.exceptionHandler(handler);
      return this;
    }

    @Override
    public ReadStream<T> handler(Handler<T> handler) {
      DirectConsumer.this.handler(handler == null ? null : m -> handler.handle(m.body()));
      return this;
    }

    @Override
    public ReadStream<T> pause() {
      DirectConsumer.this.pause();
      return this;
    }

    @Override
    public ReadStream<T> resume() {
      DirectConsumer.this.resume();
      return this;
    }

    @Override
    public ReadStream<T> fetch(long amount) {
      DirectConsumer.this.fetch(amount);
      return this;
    }

    @Override
    public ReadStream<T> endHandler(Handler<Void> endHandler) {
      DirectConsumer.this.endHandler(endHandler);
      return this;
    }
  }
}
