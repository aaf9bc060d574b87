package dev.parapet.export;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Graph-building and file helpers shared by {@link FusedClassifierExporter} and {@link FusedHeadExporter}:
 * reading and checking the encoder and tokenizer, ONNX tensors and attributes, the opset-dependent
 * {@code Unsqueeze}/{@code Reduce*} forms, and the atomic writing of an export directory.
 */
final class OnnxExport {
    static final String ATTENTION_MASK = "attention_mask";
    static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
    static final int INT64 = TensorProto.DataType.INT64.getNumber();

    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeNulls() // "truncation": null must survive: an absent key means something else to some loaders
            .disableHtmlEscaping()
            .create();

    private OnnxExport() {
    }

    // ---- export directory ----

    /**
     * Writes the model, tokenizer and config into {@code directory} (created if missing), each via a
     * temporary name and moved into place, config last.
     */
    static Path export(Path directory, ModelProto model, JsonObject tokenizer, JsonObject config) {
        Objects.requireNonNull(directory, "directory");
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create export directory " + directory, e);
        }
        writeAtomically(directory.resolve(FusedClassifierExporter.MODEL_FILE), model::writeTo);
        writeAtomically(directory.resolve(FusedClassifierExporter.TOKENIZER_FILE), out -> writeJson(tokenizer, out));
        writeAtomically(directory.resolve(FusedClassifierExporter.CONFIG_FILE), out -> writeJson(config, out));
        return directory;
    }

    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private static void writeJson(JsonElement json, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        GSON.toJson(json, w);
        w.write('\n');
        w.flush();
    }

    private static void writeAtomically(Path target, Content content) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    // ---- reading and checking inputs ----

    /**
     * Reads the encoder from {@code bytes} or else {@code file}; adds a problem and returns null when
     * neither is given or the model is unusable.
     */
    static ModelProto loadEncoder(byte[] bytes, Path file, String name, List<String> problems) {
        if (file == null && bytes == null) {
            problems.add("encoder is required: pass the ONNX sentence encoder with encoder(Path) or encoder(InputStream)");
            return null;
        }
        byte[] b = bytes != null ? bytes : readFile(file, name, problems);
        return b == null ? null : parseEncoder(b, name, problems);
    }

    /** Like {@link #loadEncoder}, for the tokenizer.json. */
    static JsonObject loadTokenizer(byte[] bytes, Path file, String name, List<String> problems) {
        if (file == null && bytes == null) {
            problems.add("tokenizer is required: pass the encoder's tokenizer.json with tokenizer(Path) or tokenizer(InputStream)");
            return null;
        }
        byte[] b = bytes != null ? bytes : readFile(file, name, problems);
        return b == null ? null : parseTokenizer(b, name, problems);
    }

    static ModelProto parseEncoder(byte[] bytes, String name, List<String> problems) {
        if (bytes.length == 0) {
            problems.add(name + " is empty; expected the bytes of an ONNX model (ModelProto)");
            return null;
        }
        ModelProto model;
        try {
            model = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            problems.add(name + " is not an ONNX model (" + e.getMessage() + "); expected the bytes of an ONNX ModelProto");
            return null;
        }
        // Protobuf happily parses many byte strings as unknown fields, so check for what a real model always has.
        if (model.getIrVersion() <= 0 || !model.hasGraph() || model.getGraph().getNodeCount() == 0
                || model.getGraph().getOutputCount() == 0 || model.getOpsetImportCount() == 0) {
            problems.add(name + " is not an ONNX model (no IR version, opset imports, graph nodes or outputs);"
                    + " expected the bytes of an ONNX ModelProto");
            return null;
        }
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                // The weights live in side files that this exporter would not carry along.
                problems.add(name + " keeps initializer " + t.getName() + " in external data; expected a"
                        + " self-contained ONNX model (all weights inside the file)");
                return null;
            }
        }
        return model;
    }

    static JsonObject parseTokenizer(byte[] bytes, String name, List<String> problems) {
        JsonElement json;
        try {
            json = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
            problems.add(name + " is not valid JSON (" + e.getMessage() + "); expected a Hugging Face tokenizer.json");
            return null;
        }
        if (!json.isJsonObject() || !json.getAsJsonObject().has("model")) {
            problems.add(name + " is not a Hugging Face tokenizer.json; expected a JSON object with a \"model\" entry");
            return null;
        }
        return json.getAsJsonObject();
    }

    static byte[] readFile(Path file, String name, List<String> problems) {
        if (!Files.isRegularFile(file)) {
            problems.add(name + " does not exist or is not a regular file");
            return null;
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    static byte[] readAll(InputStream in, String name) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    static int defaultOpset(ModelProto model) {
        for (OperatorSetIdProto op : model.getOpsetImportList()) {
            if (op.getDomain().isEmpty() || op.getDomain().equals("ai.onnx")) {
                return (int) op.getVersion();
            }
        }
        return -1;
    }

    static ValueInfoProto valueInfo(GraphProto graph, String name) {
        for (ValueInfoProto v : graph.getOutputList()) {
            if (v.getName().equals(name)) {
                return v;
            }
        }
        for (ValueInfoProto v : graph.getValueInfoList()) {
            if (v.getName().equals(name)) {
                return v;
            }
        }
        return null;
    }

    // ---- protobuf values ----

    static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static TensorProto floatTensor(String name, long[] dims, float[] data) {
        ByteBuffer buf = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            buf.putFloat(v);
        }
        buf.flip();
        return tensor(name, dims, FLOAT, buf);
    }

    static TensorProto longTensor(String name, long[] dims, long[] data) {
        ByteBuffer buf = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : data) {
            buf.putLong(v);
        }
        buf.flip();
        return tensor(name, dims, INT64, buf);
    }

    // raw_data is always little-endian per the ONNX spec, whatever the host order.
    private static TensorProto tensor(String name, long[] dims, int type, ByteBuffer data) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(data));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /**
     * Appends nodes to a copy of an encoder graph; every added name carries
     * {@link FusedClassifierExporter#NAME_PREFIX}, and every node uses the encoder's own opset.
     */
    abstract static class Splicer {
        final ModelProto model;
        final int opset;
        final String hiddenStates;
        final GraphProto.Builder graph;

        Splicer(ModelProto model, int opset, String hiddenStates) {
            this.model = model;
            this.opset = opset;
            this.hiddenStates = hiddenStates;
            this.graph = model.getGraph().toBuilder();
        }

        /** Replaces the graph outputs by {@code logits [batch, width]} and sets the {@code parapet.*} metadata. */
        final ModelProto finish(int width, Map<String, String> props) {
            graph.clearOutput();
            graph.addOutput(ValueInfoProto.newBuilder()
                    .setName(FusedClassifierExporter.LOGITS)
                    .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                            .setElemType(FLOAT)
                            .setShape(TensorShapeProto.newBuilder()
                                    .addDim(batchDim())
                                    .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)))))
                    .build());
            ModelProto.Builder out = model.toBuilder().setGraph(graph);
            List<StringStringEntryProto> kept = new ArrayList<>();
            for (StringStringEntryProto e : out.getMetadataPropsList()) {
                if (!props.containsKey(e.getKey())) {
                    kept.add(e);
                }
            }
            out.clearMetadataProps().addAllMetadataProps(kept);
            props.forEach((k, v) -> out.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
            return out.build();
        }

        // Opset 13 moved 'axes' of Unsqueeze/ReduceSum from an attribute to an input; opset 18 did the same for ReduceMax.
        final void unsqueeze(String in, String out, long axis) {
            if (opset >= 13) {
                String axes = out + "_axes";
                graph.addInitializer(longTensor(axes, new long[] {1}, new long[] {axis}));
                node("Unsqueeze", "Unsqueeze_" + local(out), List.of(in, axes), out);
            } else {
                node("Unsqueeze", "Unsqueeze_" + local(out), List.of(in), out, intsAttr("axes", axis));
            }
        }

        final void reduce(String op, String in, String out, long axis, boolean keepDims) {
            AttributeProto keep = intAttr("keepdims", keepDims ? 1 : 0);
            boolean axesAsInput = op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
            if (axesAsInput) {
                String axes = out + "_axes";
                graph.addInitializer(longTensor(axes, new long[] {1}, new long[] {axis}));
                node(op, op + "_" + local(out), List.of(in, axes), out, keep);
            } else {
                node(op, op + "_" + local(out), List.of(in), out, intsAttr("axes", axis), keep);
            }
        }

        final TensorShapeProto.Dimension batchDim() {
            ValueInfoProto info = valueInfo(model.getGraph(), hiddenStates);
            if (info != null && info.getType().hasTensorType() && info.getType().getTensorType().hasShape()
                    && info.getType().getTensorType().getShape().getDimCount() > 0) {
                TensorShapeProto.Dimension d = info.getType().getTensorType().getShape().getDim(0);
                if (d.hasDimParam() || d.hasDimValue()) {
                    return d.toBuilder().clearDenotation().build();
                }
            }
            return TensorShapeProto.Dimension.newBuilder().setDimParam("batch_size").build();
        }

        final void node(String op, String name, List<String> inputs, String output, AttributeProto... attrs) {
            NodeProto.Builder n = NodeProto.newBuilder()
                    .setOpType(op)
                    .setName(p(name))
                    .addAllInput(inputs)
                    .addOutput(output);
            for (AttributeProto a : attrs) {
                n.addAttribute(a);
            }
            graph.addNode(n);
        }

        static String local(String tensor) {
            return tensor.substring(FusedClassifierExporter.NAME_PREFIX.length());
        }

        static String p(String name) {
            return FusedClassifierExporter.NAME_PREFIX + name;
        }
    }
}
