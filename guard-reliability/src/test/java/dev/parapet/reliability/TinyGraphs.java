package dev.parapet.reliability;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small, valid ONNX graphs of the wrong shape, written with the ONNX protobuf classes, to feed the loaders. */
final class TinyGraphs {
    static final String BGE_ONNX = "bge-small-en-v1.5-q.onnx";
    static final String BGE_TOKENIZER = "bge-small-en-v1.5-q-tokenizer.json";

    private TinyGraphs() {
    }

    /** An "encoder" whose only input is {@code tokens}, not {@code input_ids}: [batch, seq] int64 → [batch, seq, 1] float. */
    static byte[] encoderWithoutInputIds() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("no_input_ids")
                .addInput(tensor("tokens", TensorProto.DataType.INT64_VALUE, "batch", "seq"))
                .addOutput(tensor("last_hidden_state", TensorProto.DataType.FLOAT_VALUE, "batch", "seq", 1))
                .addNode(node("Cast", "tokens", "as_float").addAttribute(intAttr("to", TensorProto.DataType.FLOAT_VALUE)))
                .addNode(node("Unsqueeze", "as_float", "last_hidden_state").addAttribute(intsAttr("axes", 2)));
        return model(g);
    }

    /**
     * A classifier reading {@code input_ids} whose {@code logits} output has {@code columns} columns.
     */
    static byte[] classifier(int columns) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("tiny_classifier")
                .addInput(tensor("input_ids", TensorProto.DataType.INT64_VALUE, "batch", "seq"))
                .addInput(tensor("attention_mask", TensorProto.DataType.INT64_VALUE, "batch", "seq"))
                .addOutput(tensor("logits", TensorProto.DataType.FLOAT_VALUE, "batch", columns))
                .addInitializer(TensorProto.newBuilder().setName("repeats").setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(2).addInt64Data(1).addInt64Data(columns))
                .addNode(node("Cast", "input_ids", "ids_float").addAttribute(intAttr("to", TensorProto.DataType.FLOAT_VALUE)))
                .addNode(node("ReduceMean", "ids_float", "mean").addAttribute(intsAttr("axes", 1)).addAttribute(intAttr("keepdims", 1)))
                .addNode(NodeProto.newBuilder().setOpType("Tile").addInput("mean").addInput("repeats").addOutput("logits"));
        return model(g);
    }

    /**
     * A classifier whose {@code logits} are its input ids as floats: [batch, seq], so the number of
     * "labels" is the window's token count and cannot be known before a run.
     */
    static byte[] classifierWithTokenColumns() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("token_columns")
                .addInput(tensor("input_ids", TensorProto.DataType.INT64_VALUE, "batch", "seq"))
                .addOutput(tensor("logits", TensorProto.DataType.FLOAT_VALUE, "batch", "num_labels"))
                .addNode(node("Cast", "input_ids", "logits").addAttribute(intAttr("to", TensorProto.DataType.FLOAT_VALUE)));
        return model(g);
    }

    private static byte[] model(GraphProto.Builder graph) {
        return ModelProto.newBuilder().setIrVersion(6).setProducerName("parapet-reliability-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(11))
                .setGraph(graph).build().toByteArray();
    }

    private static NodeProto.Builder node(String op, String in, String out) {
        return NodeProto.newBuilder().setOpType(op).addInput(in).addOutput(out).setName(op + "_" + out);
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    /** A tensor value info; each dim is a {@code String} (symbolic) or a number (static). */
    private static ValueInfoProto tensor(String name, int type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                dim.setDimParam(s);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
                .build();
    }

    /** Copies a classpath resource (e.g. the default encoder's files) to {@code target}. */
    static Path copyResource(String resource, Path target) throws IOException {
        try (InputStream in = TinyGraphs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is not on the test classpath");
            }
            Files.copy(in, target);
        }
        return target;
    }

    static byte[] resourceBytes(String resource) throws IOException {
        try (InputStream in = TinyGraphs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is not on the test classpath");
            }
            return in.readAllBytes();
        }
    }
}
