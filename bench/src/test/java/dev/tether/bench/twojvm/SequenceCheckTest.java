package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceCheckTest {
  @Test
  void countsMessagesThatArriveInOrder() {
    SequenceCheck check = new SequenceCheck();
    for (long seq = 0; seq < 5; seq++) {
      check.accept(seq);
    }
    assertThat(check.received()).isEqualTo(5);
    assertThat(check.errors()).isZero();
    assertThat(check.firstError()).isNull();
  }

  @Test
  void reportsALostMessage() {
    SequenceCheck check = new SequenceCheck();
    check.accept(0);
    check.accept(2);
    check.accept(3);
    assertThat(check.errors()).isEqualTo(1);
    assertThat(check.firstError()).isEqualTo("expected message 1 but got 2");
  }

  @Test
  void reportsADuplicateAndAReorderedMessage() {
    SequenceCheck check = new SequenceCheck();
    check.accept(0);
    check.accept(0); // duplicate
    check.accept(2); // 1 and 2 swapped
    check.accept(1);
    assertThat(check.errors()).isEqualTo(3);
    assertThat(check.received()).isEqualTo(4);
  }

  @Test
  void aMessageThatIsNotFirstIsAnErrorFromTheStart() {
    SequenceCheck check = new SequenceCheck();
    check.accept(7);
    assertThat(check.firstError()).isEqualTo("expected message 0 but got 7");
  }
}
