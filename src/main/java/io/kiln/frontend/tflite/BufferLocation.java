package io.kiln.frontend.tflite;

import com.google.flatbuffers.Table;
import java.nio.ByteBuffer;

/**
 * Reads {@code Buffer.offset} and {@code Buffer.size}, which newer TFLite schemas added for
 * models whose weights live after the flatbuffer (files over 2 GB) but which the generated
 * classes we use predate. Only these two scalar fields are read, through the flatbuffers
 * library's own table accessors.
 */
final class BufferLocation extends Table {
  /** Field slots in the vtable: {@code Model.buffers} is field 4, Buffer's offset/size 1 and 2. */
  private static final int MODEL_BUFFERS = 4 + 2 * 4;
  private static final int BUFFER_OFFSET = 4 + 2 * 1;
  private static final int BUFFER_SIZE = 4 + 2 * 2;

  /** Where a buffer's bytes live outside the flatbuffer; {@code offset <= 1} means "inline". */
  record Extent(long offset, long size) {
    boolean external() {
      return Long.compareUnsigned(offset, 1) > 0;
    }
  }

  private BufferLocation() {}

  /** Extent of buffer {@code index} of the model rooted in {@code bb} (index already checked). */
  static Extent of(ByteBuffer bb, int index) {
    BufferLocation model = new BufferLocation();
    model.__reset(bb.getInt(bb.position()) + bb.position(), bb);
    int vector = model.__offset(MODEL_BUFFERS);
    if (vector == 0) {
      return new Extent(0, 0);
    }
    int element = model.__vector(vector) + index * 4;
    BufferLocation buffer = new BufferLocation();
    buffer.__reset(model.__indirect(element), bb);
    int o = buffer.__offset(BUFFER_OFFSET);
    int s = buffer.__offset(BUFFER_SIZE);
    long offset = o == 0 ? 0 : bb.getLong(buffer.bb_pos + o);
    long size = s == 0 ? 0 : bb.getLong(buffer.bb_pos + s);
    return new Extent(offset, size);
  }
}
