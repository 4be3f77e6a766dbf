package dev.tether;

/**
 * Decides whether a peer that completed the handshake may use the connection, from the verified
 * certificate chain, the credentials and the handshake facts in its {@link AccessRequest}. A server
 * uses one to admit clients ({@link ServerBuilder#authorizer}); a client may use one to check the
 * server beyond what TLS checks ({@link ClientBuilder#authorizer}).
 *
 * <pre>{@code
 * Authorizer onlyOurNodes = request -> request.certificate()
 *     .map(c -> c.getSubjectX500Principal().getName())
 *     .filter(name -> name.endsWith(",O=Example"))
 *     .map(name -> Admission.admit())
 *     .orElse(Admission.refuse("a certificate of O=Example is required"));
 * }</pre>
 *
 * <p>It runs on the handler executor, never on an event loop, so it may block (to ask a directory
 * or validate a token), within the handshake timeout. A refused peer is sent GOAWAY({@link
 * GoAwayCode#UNAUTHORIZED}) with the refusal's reason, and its connect fails with a {@link
 * HandshakeException}. An authorizer that throws refuses with {@link GoAwayCode#INTERNAL_ERROR}. An
 * {@linkplain Admission#admitUntil admission with an expiry} is checked again when it expires, and
 * the connection closed with UNAUTHORIZED unless it is renewed.
 *
 * <p>Must be thread safe: it is called for many connections at once.
 */
@FunctionalInterface
public interface Authorizer {
  /**
   * Admits or refuses the peer described by {@code request}.
   *
   * @return the decision; never null
   * @throws Exception to refuse with INTERNAL_ERROR, when the decision itself failed
   */
  Admission authorize(AccessRequest request) throws Exception;
}
