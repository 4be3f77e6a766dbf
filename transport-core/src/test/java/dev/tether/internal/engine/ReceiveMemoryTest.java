package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReceiveMemoryTest {
  private final ReceiveMemory memory = new ReceiveMemory(100);
  private final List<String> resumed = new ArrayList<>();

  private ReceiveMemory.Account account(String name) {
    return memory.account(() -> resumed.add(name));
  }

  @Test
  void grantsWhileAnythingIsFreeSoOneFrameMayGoOverTheCapacity() {
    ReceiveMemory.Account a = account("a");

    assertThat(a.reserve(99)).isEqualTo(99);
    assertThat(a.reserve(500)).isEqualTo(500); // 1 byte was free
    assertThat(memory.used()).isEqualTo(599);
    assertThat(a.reserve(1)).isEqualTo(-1);
  }

  @Test
  void connectionsThatWaitAreGrantedTheirFramesInTheOrderTheyCameAndResumed() {
    ReceiveMemory.Account a = account("a");
    ReceiveMemory.Account b = account("b");
    ReceiveMemory.Account c = account("c");
    assertThat(a.reserve(100)).isEqualTo(100);
    assertThat(b.reserve(60)).isEqualTo(-1);
    assertThat(c.reserve(70)).isEqualTo(-1);
    assertThat(b.reserve(60)).isEqualTo(-1); // asking again does not jump the queue

    a.release(50); // 50 used: b's turn, and with 110 used, c waits on
    assertThat(resumed).containsExactly("b");
    assertThat(memory.used()).isEqualTo(110);
    assertThat(c.reserve(70)).isEqualTo(-1);
    assertThat(b.reserve(60)).isEqualTo(60); // the frame it waited for, already counted
    assertThat(memory.used()).isEqualTo(110);

    a.release(50);
    assertThat(resumed).containsExactly("b", "c");
    assertThat(c.reserve(70)).isEqualTo(70);
    b.release(60);
    c.release(70);
    assertThat(memory.used()).isZero();
  }

  @Test
  void aClosedAccountGivesBackWhatItHeldWhatItWasGrantedAndWhatComesLater() {
    ReceiveMemory.Account a = account("a");
    ReceiveMemory.Account b = account("b");
    assertThat(a.reserve(100)).isEqualTo(100);
    assertThat(b.reserve(30)).isEqualTo(-1);
    b.close();

    a.release(100); // grants b, which is closed and gives it straight back
    assertThat(memory.used()).isZero();
    assertThat(b.reserve(30)).isZero(); // not counted any more
    b.release(30);
    assertThat(memory.used()).isZero();

    assertThat(a.reserve(80)).isEqualTo(80);
    a.close();
    a.close();
    a.release(80);
    assertThat(memory.used()).isZero();
  }

  @Test
  void aGrantForAFrameNoLongerReadIsGivenBack() {
    ReceiveMemory.Account a = account("a");
    ReceiveMemory.Account b = account("b");
    assertThat(a.reserve(100)).isEqualTo(100);
    assertThat(b.reserve(40)).isEqualTo(-1);
    a.release(100);
    assertThat(memory.used()).isEqualTo(40);

    b.dropGrant(); // b's socket went; its next frame is another one
    assertThat(memory.used()).isZero();
    assertThat(b.held()).isZero();

    assertThat(a.reserve(100)).isEqualTo(100);
    assertThat(b.reserve(40)).isEqualTo(-1);
    a.release(100);
    assertThat(b.reserve(55)).isEqualTo(55); // a frame of another size: the stale grant goes back
    assertThat(memory.used()).isEqualTo(55);
    assertThat(b.held()).isEqualTo(55);
  }
}
