package dev.parapet.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Exposes intermediate tensors of an ONNX graph as extra graph outputs, without a protobuf
 * library: the bytes of a {@code ModelProto} are followed by one more {@code graph} field (7)
 * holding only {@code output} entries (field 12). Protocol buffers merge a repeated occurrence of an
 * embedded message field into the first, appending repeated fields, so ONNX Runtime reads the
 * original graph with these outputs added after its own. Each output is declared as a float tensor
 * {@code [batch, tokens, hidden]} (symbolic dimensions); a name the graph does not produce fails when the session is
 * created.
 */
final class GraphOutputs {
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_LEN = 2;
    private static final int FLOAT = 1; // TensorProto.DataType.FLOAT

    private GraphOutputs() {
    }

    /** {@code model} followed by a graph fragment declaring {@code names} as outputs. */
    static byte[] expose(byte[] model, List<String> names) {
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        for (String name : names) {
            byte[] dims = concat(
                    field(1, concat(field(2, utf8("batch_size")))),
                    field(1, concat(field(2, utf8("sequence_length")))),
                    field(1, concat(field(2, utf8("hidden_size")))));
            byte[] tensor = concat(varintField(1, FLOAT), field(2, dims));
            byte[] type = field(1, tensor);
            byte[] valueInfo = concat(field(1, utf8(name)), field(2, type));
            graph.writeBytes(field(12, valueInfo));
        }
        byte[] fragment = field(7, graph.toByteArray());
        byte[] out = java.util.Arrays.copyOf(model, model.length + fragment.length);
        System.arraycopy(fragment, 0, out, model.length, fragment.length);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] field(int number, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 8);
        varint(out, ((long) number << 3) | WIRE_LEN);
        varint(out, payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static byte[] varintField(int number, long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(12);
        varint(out, ((long) number << 3) | WIRE_VARINT);
        varint(out, value);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
