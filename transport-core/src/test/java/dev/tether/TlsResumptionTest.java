package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.FaultProxy;
import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session resumption (PROTOCOL.md §13) over TLS: each new socket makes its own TLS handshake and
 * the session carries on; a session token presented under another client certificate resumes
 * nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsResumptionTest {
  private static final int RESUME_KIND = 0x0003;
  private final TestPki pki = TestPki.shared();

  @Test
  void messagesThroughResetsArriveExactlyOnceInOrderOverMutualTls() throws Exception {
    int messages = 5_000;
    AtomicLong next = new AtomicLong();
    AtomicReference<String> disorder = new AtomicReference<>();
    AtomicInteger resumed = new AtomicInteger();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .tls(pki.serverTls().requireClientCertificate().build())
                .authorizer(request -> Admission.admit())
                .onMessage(
                    (c, m) -> {
                      long seq = ((Msg) m).seq();
                      if (seq != next.get() && disorder.get() == null) {
                        disorder.set("expected " + next.get() + ", got " + seq);
                      }
                      next.set(seq + 1);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        FaultProxy proxy = new FaultProxy(server.address());
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .tls(pki.client("node-1").presenting().trustCertificates(pki.caFile()).build())
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .giveUpAfter(Duration.ofSeconds(60))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onResumed(Connection<Object, Object> c, int attempts) {
                        resumed.incrementAndGet();
                      }
                    })
                .connect(proxy.address())) {
      Thread chaos =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  long wait = ThreadLocalRandom.current().nextInt(40, 120);
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(wait)); // chaos pacing
                  try {
                    proxy.resetAll();
                  } catch (Exception e) {
                    return;
                  }
                }
              },
              "chaos");
      chaos.setDaemon(true);
      chaos.start();
      for (int i = 0; i < messages; i++) {
        client.send(new Msg("m", i));
        if (i % 500 == 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // let a few resets land
        }
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> next.get() >= messages);
      chaos.interrupt();
      chaos.join(10_000);
      // the last reset may have left the session waiting for its next socket; a message that
      // arrives after the chaos stopped shows it resumed, so that close() below is graceful
      client.send(new Msg("m", messages));
      await().atMost(Duration.ofSeconds(30)).until(() -> next.get() > messages);

      assertThat(disorder.get()).isNull();
      assertThat(next.get()).isEqualTo(messages + 1);
      assertThat(resumed.get()).as("sessions resumed through the resets").isPositive();
      assertThat(server.connections()).hasSize(1);
      assertThat(server.connections().get(0).peer().certificates().get(0).getSubjectX500Principal())
          .hasToString("CN=node-1, O=Tether Tests");
    }
  }

  @Test
  void sessionTokenUnderAnotherClientCertificateResumesNothing() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(pki.serverTls().requireClientCertificate().build())
            .sessionResumption(Duration.ofSeconds(30), 1 << 20)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      SSLContext owner =
          pki.client("owner").presenting().trustCertificates(pki.caFile()).build().sslContext();
      SSLContext thief =
          pki.client("thief").presenting().trustCertificates(pki.caFile()).build().sslContext();
      byte[] token;
      try (RawPeer first = RawPeer.connectTls(server.address(), owner, "localhost")) {
        byte[] granted = resumeEntry(first.handshake(hello(0, new byte[16])));
        token = Arrays.copyOfRange(granted, 1, 17);
        first.resetAbruptly(); // no GOAWAY: the session waits on the server
      }

      try (RawPeer stolen = RawPeer.connectTls(server.address(), thief, "localhost")) {
        stolen.writePreambleAndHello(hello(1, token));
        RawPeer.GoAway refusal = stolen.readRefusal();
        assertThat(refusal.code()).isEqualTo(GoAwayCode.UNAUTHORIZED.code());
        assertThat(refusal.reason()).contains("another client certificate");
      }
      try (RawPeer back = RawPeer.connectTls(server.address(), owner, "localhost")) {
        byte[] resumed = resumeEntry(back.handshake(hello(1, token)));
        assertThat(resumed[0]).as("kind: resumed").isEqualTo((byte) 1);
      }
    }
  }

  private static RawPeer.Hello hello(int kind, byte[] token) {
    byte[] extension =
        ByteBuffer.allocate(4 + 25)
            .putShort((short) RESUME_KIND)
            .putShort((short) 25)
            .put((byte) kind)
            .put(token)
            .putLong(0)
            .array();
    return RawPeer.Hello.forTypes(TestTypes.TYPES)
        .codecs("test")
        .minorVersion(2)
        .extensions(extension);
  }

  private static byte[] resumeEntry(RawPeer.Welcome welcome) {
    ByteBuffer in = ByteBuffer.wrap(welcome.extensions());
    while (in.remaining() >= 4) {
      int kind = in.getShort() & 0xFFFF;
      byte[] value = new byte[in.getShort() & 0xFFFF];
      in.get(value);
      if (kind == RESUME_KIND) {
        return value;
      }
    }
    throw new AssertionError("no RESUME entry in " + Hex.encode(welcome.extensions()));
  }
}
