package dev.parapet.onnx;

/** The real encoders the tests run: shipped on Maven Central inside LangChain4j's embedding jars. */
final class Encoders {
    static final String MINILM_ONNX = "all-minilm-l6-v2-q.onnx";
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

    private Encoders() {
    }

    static ModelSource minilm() {
        return ModelSource.classpath(Encoders.class.getClassLoader(), MINILM_ONNX, MINILM_TOKENIZER, null);
    }
}
