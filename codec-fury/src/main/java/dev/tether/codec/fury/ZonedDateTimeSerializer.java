package dev.tether.codec.fury;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.apache.fory.context.ReadContext;
import org.apache.fory.context.WriteContext;
import org.apache.fory.memory.MemoryBuffer;
import org.apache.fory.resolver.TypeResolver;
import org.apache.fory.serializer.Serializer;

/**
 * Writes a {@link ZonedDateTime} as its local date and time, its offset and its zone id, and reads
 * back exactly that value. Fory's own serializer leaves the offset out, so that in a
 * daylight-saving overlap the value came back with the earlier offset: 02:30+01:00 in Paris on the
 * last Sunday of October decoded as 02:30+02:00, an hour earlier, with no error.
 *
 * <pre>
 * year : varint   month, day, hour, minute, second : byte each   nano : varint
 * offset : varint, total seconds   zone id : string
 * </pre>
 *
 * <p>A payload whose offset is not valid for its zone at that local time fails to decode ({@code
 * ZonedDateTime.ofStrict}); no encoder writes one.
 *
 * <p>This class is thread safe; it keeps no state.
 */
final class ZonedDateTimeSerializer extends Serializer<ZonedDateTime> {
  ZonedDateTimeSerializer(TypeResolver resolver) {
    super(resolver.getConfig(), ZonedDateTime.class, true);
  }

  @Override
  public void write(WriteContext context, ZonedDateTime value) {
    MemoryBuffer buffer = context.getBuffer();
    LocalDateTime local = value.toLocalDateTime();
    buffer.writeVarInt32(local.getYear());
    buffer.writeByte(local.getMonthValue());
    buffer.writeByte(local.getDayOfMonth());
    buffer.writeByte(local.getHour());
    buffer.writeByte(local.getMinute());
    buffer.writeByte(local.getSecond());
    buffer.writeVarInt32(local.getNano());
    buffer.writeVarInt32(value.getOffset().getTotalSeconds());
    context.writeString(value.getZone().getId());
  }

  @Override
  public ZonedDateTime read(ReadContext context) {
    MemoryBuffer buffer = context.getBuffer();
    try {
      LocalDateTime local =
          LocalDateTime.of(
              buffer.readVarInt32(),
              buffer.readByte(),
              buffer.readByte(),
              buffer.readByte(),
              buffer.readByte(),
              buffer.readByte(),
              buffer.readVarInt32());
      ZoneOffset offset = ZoneOffset.ofTotalSeconds(buffer.readVarInt32());
      ZoneId zone = ZoneId.of(StringValueSerializers.readSound(context));
      return ZonedDateTime.ofStrict(local, offset, zone);
    } catch (DateTimeException e) {
      throw new FuryLimitException("not a valid ZonedDateTime: " + e.getMessage());
    }
  }

  @Override
  public boolean readDataAlwaysAdvances() {
    return true;
  }
}
