package dev.tether.codec.kryo;

import dev.tether.MessageTypes;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Messages for the module's own tests, beyond core's contract types. */
final class KryoTestTypes {
  private KryoTestTypes() {}

  /** Any registered value, written with its class: the way to test one JDK type at a time. */
  record Holder(Object value) {}

  /** A bean message: FieldSerializer, no-arg constructor. */
  static final class Account {
    private String owner;
    private long balance;

    Account() {}

    Account(String owner, long balance) {
      this.owner = owner;
      this.balance = balance;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Account a && Objects.equals(owner, a.owner) && balance == a.balance;
    }

    @Override
    public int hashCode() {
      return Objects.hash(owner, balance);
    }
  }

  enum Status {
    OPEN,
    CLOSED
  }

  enum Unit {
    PIECE,
    KG
  }

  record Quantity(long amount, Unit unit) {}

  record Line(String sku, Quantity quantity) {}

  sealed interface Payment permits Card, Cash {}

  record Card(String number) implements Payment {}

  record Cash(Currency currency) implements Payment {}

  enum Currency {
    EUR,
    USD
  }

  record Money(long cents, Currency currency) {}

  /** Holds, through components only, enums, records, arrays and a sealed interface to discover. */
  record Order(
      Status status, List<Line> lines, Money[] amounts, Payment payment, Map<String, Unit> units) {}

  /** Messages 1..3 plus nothing nested: everything else must be discovered from Order. */
  static final MessageTypes TYPES =
      MessageTypes.builder("kryo-test")
          .register(1, "kryo.Holder", Holder.class)
          .register(2, "kryo.Account", Account.class)
          .register(3, "kryo.Order", Order.class)
          .build();
}
