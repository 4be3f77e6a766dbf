package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteRingTest {
  private static byte[] bytes(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  /** A ring of 16 KiB whose bytes wrap around its end: {@code held} bytes from value 1 on. */
  private static ByteRing wrapped(int held) {
    ByteRing ring = new ByteRing();
    int capacity = ByteRing.INITIAL_CAPACITY;
    ring.append(new byte[capacity - 100], 0, capacity - 100);
    ring.drop(capacity - 150); // not all: an empty ring starts again at the front
    ring.append(bytes(1, held), 0, held);
    ring.drop(50); // head near the end of the array
    assertThat(ring.capacity()).isEqualTo(capacity);
    assertThat(ring.head()).isEqualTo(capacity - 100);
    return ring;
  }

  @Test
  void bytesAppendedAcrossTheEndComeOutInOrder() {
    ByteRing ring = wrapped(300);
    assertThat(ring.size()).isEqualTo(300);
    assertThat(ring.takeAll()).isEqualTo(bytes(1, 300));
    assertThat(ring.size()).isZero();
    assertThat(ring.capacity()).as("the array let go").isZero();
  }

  @Test
  void growingKeepsTheOrderAndLeavesTheOldArrayAsItWas() {
    ByteRing ring = wrapped(300);
    byte[] before = ring.array();
    byte[] snapshot = before.clone();
    ring.append(bytes(45, 20_000), 0, 20_000);
    assertThat(ring.array()).isNotSameAs(before);
    assertThat(before).as("what a reader copied from stays valid").isEqualTo(snapshot);
    byte[] all = ring.takeAll();
    assertThat(all).hasSize(20_300);
    assertThat(java.util.Arrays.copyOf(all, 300)).isEqualTo(bytes(1, 300));
    assertThat(java.util.Arrays.copyOfRange(all, 300, 20_300)).isEqualTo(bytes(45, 20_000));
  }

  @Test
  void appendingFromAnotherRingReadsAcrossItsEnd() {
    ByteRing source = wrapped(300);
    ByteRing ring = wrapped(10);
    ring.appendFromRing(source.array(), source.head(), 300);
    byte[] all = ring.takeAll();
    assertThat(java.util.Arrays.copyOf(all, 10)).isEqualTo(bytes(1, 10));
    assertThat(java.util.Arrays.copyOfRange(all, 10, 310)).isEqualTo(bytes(1, 300));
  }

  @Test
  void prependPutsBytesAheadOfAWrappedRing() {
    ByteRing ring = wrapped(300);
    ring.prepend(bytes(-50, 50));
    assertThat(ring.size()).isEqualTo(350);
    assertThat(ring.head()).isZero();
    byte[] expected = new byte[350];
    System.arraycopy(bytes(-50, 50), 0, expected, 0, 50);
    System.arraycopy(bytes(1, 300), 0, expected, 50, 300);
    assertThat(ring.takeAll()).isEqualTo(expected);
  }

  @Test
  void droppingEverythingStartsAgainAtTheFrontAndTrimmingGivesBackTheRoom() {
    ByteRing ring = wrapped(300);
    ring.drop(120);
    assertThat(ring.size()).isEqualTo(180);
    assertThat(ring.head()).isEqualTo(20); // past the end, wrapped
    ring.trimToSize();
    assertThat(ring.capacity()).isEqualTo(180);
    assertThat(ring.takeAll()).isEqualTo(bytes(121, 180));

    ByteRing other = wrapped(300);
    other.drop(300);
    assertThat(other.head()).isZero();
    assertThat(other.capacity()).as("kept while empty").isEqualTo(ByteRing.INITIAL_CAPACITY);
    other.releaseIfEmpty();
    assertThat(other.capacity()).isZero();
  }
}
