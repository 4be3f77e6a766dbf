package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.tether.codec.Codec;
import dev.tether.codec.CodecException;
import dev.tether.codec.CodecLimits;
import dev.tether.testing.FeatureMatrix.Cell;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The feature matrix: every cell of {@link FeatureMatrix}, encoded and decoded by one codec with
 * {@link CodecLimits#defaults()}. A cell must either come back {@code equals} to what was sent,
 * decoded from every {@link BufferLayout} (heap and direct, at several offsets, read-only too), or
 * be refused by {@code encode} with a {@link CodecException} whose message names the message class
 * and says why. Never a different value, and never a payload the same codec then refuses to decode.
 *
 * <p>Each codec module runs it unchanged, naming its codec and the cells it refuses with a fragment
 * of its refusal message; a cell refused but not declared, or declared but carried, fails. The
 * outcome of every cell is written to {@code target/feature-matrix-<codec>.md}, from which the
 * modules' READMEs take their "what it carries" tables.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class FeatureMatrixContract {
  private final Map<String, String> outcomes = new ConcurrentHashMap<>();

  /** Returns the name (or an alias) under which the codec under test is registered. */
  protected abstract String codecName();

  /**
   * Returns the cells this codec refuses to encode, by {@link Cell#name()}, each with a fragment of
   * the refusal's message.
   */
  protected abstract Map<String, String> refusedCells();

  /** Returns the codec under test, created for {@link MatrixTypes#TYPES} with default limits. */
  protected final Codec codec() {
    return ContractCodecs.codec(codecName(), MatrixTypes.TYPES, CodecLimits.defaults());
  }

  static List<Cell> cells() {
    return FeatureMatrix.cells();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cells")
  void carriesEachCellExactlyOrRefusesToEncodeIt(Cell cell) {
    String refusal = refusedCells().get(cell.name());
    if (refusal != null) {
      assertThatThrownBy(() -> ContractCodecs.encode(codec(), cell.message()))
          .as("%s is declared refused by %s", cell, codecName())
          .isExactlyInstanceOf(CodecException.class)
          .hasMessageContaining(cell.type().getName())
          .hasMessageContaining(refusal);
      outcomes.put(cell.name(), "refused: " + refusal);
      return;
    }
    byte[] payload;
    try {
      payload = ContractCodecs.encode(codec(), cell.message());
    } catch (CodecException e) {
      throw new AssertionError(
          codecName()
              + " refuses to encode "
              + cell
              + " but does not declare it in refusedCells(): "
              + e.getMessage(),
          e);
    }
    for (BufferLayout layout : BufferLayout.values()) {
      ByteBuffer buffer = layout.place(payload);
      Object decoded;
      try {
        decoded = codec().decode(cell.type(), buffer);
      } catch (CodecException e) {
        throw new AssertionError(
            codecName()
                + " encoded "
                + cell
                + " but refuses to decode it from "
                + layout
                + ": "
                + e.getMessage(),
            e);
      }
      if (!cell.message().equals(decoded)) {
        fail(
            "%s came back different from %s through %s:%n sent:    %s%n decoded: %s",
            cell, layout, codecName(), abbreviate(cell.message()), abbreviate(decoded));
      }
    }
    outcomes.put(cell.name(), "carried (" + payload.length + " bytes)");
  }

  @Test
  void declaresOnlyCellsThatExist() {
    List<String> names = FeatureMatrix.cells().stream().map(Cell::name).toList();

    assertThat(names).as("cell names").doesNotHaveDuplicates();
    assertThat(names)
        .as("cells %s declares refused", codecName())
        .containsAll(refusedCells().keySet());
  }

  /** Writes the outcome of every cell that ran, so that READMEs can be checked against it. */
  @AfterAll
  void writeOutcomes() throws IOException {
    if (outcomes.isEmpty()) {
      return;
    }
    StringBuilder table = new StringBuilder();
    table.append("| feature | value | ").append(codecName()).append(" |\n|---|---|---|\n");
    Map<Integer, String> ordered = new TreeMap<>();
    List<Cell> cells = FeatureMatrix.cells();
    for (int i = 0; i < cells.size(); i++) {
      String outcome = outcomes.get(cells.get(i).name());
      if (outcome != null) {
        Cell cell = cells.get(i);
        ordered.put(i, "| " + cell.feature() + " | " + cell.variant() + " | " + outcome + " |\n");
      }
    }
    ordered.values().forEach(table::append);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("feature-matrix-" + codecName() + ".md"), table);
    }
  }

  private static String abbreviate(Object value) {
    String text = String.valueOf(value);
    return text.length() <= 300 ? text : text.substring(0, 300) + "… (" + text.length() + " chars)";
  }
}
