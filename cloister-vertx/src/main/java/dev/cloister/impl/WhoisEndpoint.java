package dev.cloister.impl;

import dev.cloister.CloisterException;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;

/**
 * Answers {@code <prefix>.whois} requests {@code {"key": .., "group": ..}} with
 * {@code {"node", "group", "ringVersion"}}, or a failure reply with the code of the problem:
 * 400 malformed, 404 unknown group, 503 not ready or below consensus under {@code protect}.
 */
final class WhoisEndpoint implements Handler<Message<Object>> {

  private static final Logger log = LoggerFactory.getLogger(WhoisEndpoint.class);

  private final CloisterImpl cloister;

  WhoisEndpoint(CloisterImpl cloister) {
    this.cloister = cloister;
  }

  @Override
  public void handle(Message<Object> message) {
    try {
      if (!(message.body() instanceof JsonObject request)) {
        message.fail(CloisterException.BAD_REQUEST, "A whois request is a JSON object {\"key\": .., \"group\": ..}");
        return;
      }
      Object key = request.getValue("key");
      Object group = request.getValue("group");
      if (group != null && !(group instanceof String)) {
        message.fail(CloisterException.BAD_REQUEST, "group must be a string");
        return;
      }
      message.reply(cloister.whoisReply((String) group, key));
    } catch (CloisterException e) {
      message.fail(e.code(), e.getMessage());
    } catch (RuntimeException e) {
      log.warn("Unexpected failure answering a whois request: " + e);
      message.fail(CloisterException.BAD_REQUEST, "Cannot answer this request: " + e.getMessage());
    }
  }
}
