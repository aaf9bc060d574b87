package dev.parapet.scanners;

import dev.parapet.onnx.ModelSource;

/**
 * Toxicity of a prompt or an output: a {@link ClassifierScanner} named {@code toxicity} that flags
 * the label {@code toxic} at 0.5 unless told otherwise. It is a configuration of the generic
 * scanner, not a copy of it: everything there (windows, evidence, batching) applies.
 *
 * <pre>{@code
 * Scanner promptToxicity = ToxicityScanner.builder(ModelSource.directory(dir)).threshold(0.6).build();
 * }</pre>
 */
public final class ToxicityScanner {
    public static final String NAME = "toxicity";
    public static final String LABEL = "toxic";
    public static final double DEFAULT_THRESHOLD = 0.5;

    private ToxicityScanner() {
    }

    public static ClassifierScanner.Builder builder(ModelSource source) {
        return ClassifierScanner.builder(NAME, source).flaggedLabels(LABEL).threshold(DEFAULT_THRESHOLD).input(TextInput.TEXT);
    }
}
