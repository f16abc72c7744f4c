package dev.cloister.impl.transport;

import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * Turns the {@code clusterSecret} option into the AES key that encrypts cluster traffic: PBKDF2
 * with HMAC-SHA256, salted with the app name, so that the same secret gives the same key on every
 * node of an app and no key is ever written down.
 */
public final class ClusterSecret {

  /** PBKDF2 iterations: a brute force of a stolen capture costs this much per guess. */
  static final int ITERATIONS = 65_536;

  private ClusterSecret() {
  }

  /**
   * The 256-bit AES key of a secret.
   *
   * @param secret the shared secret
   * @param app the application name, the salt
   * @return the key
   */
  public static SecretKey key(String secret, String app) {
    try {
      PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), ("cloister-cluster/" + app).getBytes(StandardCharsets.UTF_8),
        ITERATIONS, 256);
      byte[] bytes = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      spec.clearPassword();
      return new SecretKeySpec(bytes, "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot derive the cluster key: " + e.getMessage(), e);
    }
  }
}
