package dev.parapet.train;

import dev.parapet.export.FusedHeadExporter;
import dev.parapet.export.TokenPooling;
import dev.parapet.onnx.EmbeddingHead;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Converts a {@code parapet-head/1} BINARY TEXT head into a fused Hugging Face-layout classifier
 * (encoder + poolings + head in one ONNX graph, tokenizer.json, config.json with id2label) with
 * guard-export's {@link FusedHeadExporter}. guard-export knows nothing of guard-onnx, so the
 * conversion of poolings, layers and calibration happens here.
 *
 * <p>The fused model's softmax probability of {@code labels[1]} equals the head's
 * {@link EmbeddingHead#probability} for any text that fits one window (a head that reads the text's
 * opening gets it from a second, weight-sharing copy of the encoder in the same graph). Reward (PAIR) heads have
 * no single-model Hugging Face layout and are refused.
 */
public final class FusedExport {
    private FusedExport() {
    }

    /** Exporter settings reproducing {@code head} on {@code encoder}. */
    public static FusedHeadExporter exporter(EmbeddingHead head, EncoderSpec encoder) {
        Objects.requireNonNull(head, "head");
        if (head.task() != EmbeddingHead.Task.BINARY || head.input() != EmbeddingHead.Input.TEXT) {
            throw new IllegalArgumentException("head '" + head.name() + "' is a " + head.task() + " head on " + head.input()
                    + "; only BINARY heads on TEXT have a fused single-model export");
        }
        if (!head.encoderName().equals(encoder.name()) || !head.encoderSha256().equals(encoder.sha256())) {
            throw new IllegalArgumentException("head '" + head.name() + "' was trained on " + head.encoderName() + " (sha256 "
                    + head.encoderSha256() + "), not on " + encoder.name() + " (sha256 " + encoder.sha256() + ")");
        }
        List<TokenPooling> poolings = new ArrayList<>();
        head.poolings().forEach(p -> poolings.add(TokenPooling.valueOf(p.name())));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("head", head.name());
        meta.put("head_format", EmbeddingHead.FORMAT);
        meta.put("encoder", head.encoderName());
        meta.put("encoder_sha256", head.encoderSha256());
        meta.put("threshold", Double.toString(head.threshold()));
        meta.put("flagged_label", head.flaggedLabel());
        head.metadata().forEach((k, v) -> meta.putIfAbsent("head_" + k, String.valueOf(v)));
        try (InputStream onnx = encoder.openOnnx(); InputStream tok = encoder.openTokenizer()) {
            FusedHeadExporter.Builder b = FusedHeadExporter.builder().encoder(onnx).tokenizer(tok)
                    .poolings(poolings).normalize(head.normalize())
                    .calibration(head.calibrationA(), head.calibrationB())
                    .labels(head.labels()).maxLength(head.maxLength()).metadata(meta).taps(head.taps());
            if (head.lexicon().length > 0) {
                b.lexicon(java.util.Arrays.stream(head.lexicon()).asLongStream().toArray());
            }
            if (head.openingTokens() > 0) {
                List<TokenPooling> opening = new ArrayList<>();
                head.openingPoolings().forEach(p -> opening.add(TokenPooling.valueOf(p.name())));
                b.opening(head.openingTokens(), opening);
            }
            for (EmbeddingHead.Dense d : head.layers()) {
                b.layer(new FusedHeadExporter.DenseLayer(d.in(), d.out(), d.weights(), d.bias(),
                        FusedHeadExporter.Activation.valueOf(d.activation().name().toUpperCase(Locale.ROOT))));
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read encoder " + encoder.name(), e);
        }
    }

    /** Writes the fused model of {@code head} into {@code directory}; returns it. */
    public static Path export(EmbeddingHead head, EncoderSpec encoder, Path directory) {
        return exporter(head, encoder).export(directory);
    }
}
