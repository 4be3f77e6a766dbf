package dev.tether.codec.fury;

import dev.tether.codec.CodecLimits;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.memory.MemoryBuffer;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.Serializer;

/**
 * Fory's serializer for an array of references ({@code Object[]}, {@code String[]}, {@code
 * Point[]}), with {@link CodecLimits} applied: at most {@code maxElements} elements on write and on
 * read, and the payload's {@link DecodeBudget} charged before Fory allocates the array. The format
 * is Fory's: the length is peeked, then Fory reads it again.
 *
 * <p>This class is not thread safe; Fory creates one per Fory instance.
 */
final class CheckedArraySerializer extends Serializer<Object[]> {
  private final Serializer<Object[]> delegate;
  private final CodecLimits limits;

  @SuppressWarnings("unchecked")
  CheckedArraySerializer(TypeResolver resolver, Serializer<?> delegate, CodecLimits limits) {
    super(resolver.getConfig(), (Class<Object[]>) delegate.getType());
    this.delegate = (Serializer<Object[]>) delegate;
    this.limits = limits;
  }

  @Override
  public void write(WriteContext context, Object[] value) {
    String refusal = limits.tooManyElements(value.length, type.getName());
    if (refusal != null) {
      throw new FuryLimitException(refusal);
    }
    delegate.write(context, value);
  }

  @Override
  public Object[] read(ReadContext context) {
    MemoryBuffer buffer = context.getBuffer();
    int start = buffer.readerIndex();
    int length = buffer.readVarUInt32Small7(); // Fory's array length; read again by the delegate
    buffer.readerIndex(start);
    if (length > 0) {
      DecodeBudget.charge(context, length, type.getName(), limits);
    }
    return delegate.read(context);
  }

  @Override
  public boolean readDataAlwaysAdvances() {
    return delegate.readDataAlwaysAdvances();
  }
}
