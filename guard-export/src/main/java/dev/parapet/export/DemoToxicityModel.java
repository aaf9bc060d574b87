package dev.parapet.export;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Builds a DEMO fused toxicity classifier from the {@link SeedCorpus}: the given sentence encoder,
 * mean pooling, and a logistic-regression head fitted on the corpus' embeddings.
 *
 * <p>The result is a real model (real encoder, real ONNX graph, labels {@code ["non-toxic", "toxic"]}),
 * so the runtime pipeline can run end to end before the trained default models exist; its judgement is
 * only as good as sixty hand-written sentences allow.
 */
public final class DemoToxicityModel {

    /** Bumped whenever the recipe (corpus, fitter settings, export layout) changes, to invalidate old builds. */
    public static final String VERSION = "parapet-demo-toxicity/1";
    /** Label names in id order. */
    public static final List<String> LABELS = List.of("non-toxic", "toxic");
    /**
     * Token limit written to config.json: all-MiniLM-L6-v2's model card truncates at 256 word pieces,
     * well inside its 512 position embeddings.
     */
    public static final int MAX_LENGTH = 256;

    private DemoToxicityModel() {
    }

    /**
     * Embeds the seed corpus, fits the head and exports the fused model into {@code directory}, unless
     * the directory already holds an export with the same fingerprint (recipe version, corpus, encoder
     * and tokenizer bytes), in which case nothing is rebuilt and {@code embedder} is not called.
     *
     * @param directory     where {@code model.onnx}, {@code tokenizer.json} and {@code config.json} go
     * @param encoderOnnx   the sentence encoder's ONNX bytes (read to the end, not closed)
     * @param tokenizerJson the encoder's tokenizer.json (read to the end, not closed)
     * @param embedder      mean-pooled, un-normalised embeddings of the same encoder, one row per text in
     *                      the order given
     * @return {@code directory}
     */
    public static Path build(Path directory, InputStream encoderOnnx, InputStream tokenizerJson,
            Function<List<String>, float[][]> embedder) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(encoderOnnx, "encoderOnnx");
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(embedder, "embedder");
        byte[] encoder = readAll(encoderOnnx, "encoderOnnx");
        byte[] tokenizer = readAll(tokenizerJson, "tokenizerJson");
        String fingerprint = fingerprint(encoder, tokenizer);
        if (isCurrent(directory, fingerprint)) {
            return directory;
        }

        List<String> texts = new ArrayList<>(SeedCorpus.benign());
        texts.addAll(SeedCorpus.toxic());
        int[] labels = new int[texts.size()];
        for (int i = SeedCorpus.benign().size(); i < labels.length; i++) {
            labels[i] = 1;
        }
        float[][] embeddings = embedder.apply(List.copyOf(texts));
        if (embeddings == null || embeddings.length != texts.size()) {
            throw new IllegalArgumentException("embedder must return one embedding per text: asked for " + texts.size()
                    + ", got " + (embeddings == null ? "null" : embeddings.length));
        }
        // Balanced weights keep the head fair if the corpus lists ever drift apart in size.
        LinearHead head = LinearHeadFitter.builder().balanced(true).build().fit(embeddings, labels, LABELS);

        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("fingerprint", fingerprint);
        metadata.put("recipe", VERSION);
        metadata.put("demo", "true");
        metadata.put("corpus_sha256", SeedCorpus.sha256());
        metadata.put("training_examples", Integer.toString(texts.size()));
        metadata.put("note", "DEMO model fitted on the hand-written SeedCorpus; not a real toxicity classifier");
        return FusedClassifierExporter.builder()
                .encoder(new ByteArrayInputStream(encoder))
                .tokenizer(new ByteArrayInputStream(tokenizer))
                .pooling(Pooling.MEAN)
                .normalize(false)
                .head(head)
                .problemType(FusedClassifierExporter.SINGLE_LABEL)
                .maxLength(MAX_LENGTH)
                .metadata(metadata)
                .build()
                .export(directory);
    }

    private static boolean isCurrent(Path directory, String fingerprint) {
        Path config = directory.resolve(FusedClassifierExporter.CONFIG_FILE);
        if (!Files.isRegularFile(directory.resolve(FusedClassifierExporter.MODEL_FILE))
                || !Files.isRegularFile(directory.resolve(FusedClassifierExporter.TOKENIZER_FILE))
                || !Files.isRegularFile(config)) {
            return false;
        }
        try {
            JsonElement json = JsonParser.parseString(Files.readString(config, StandardCharsets.UTF_8));
            if (!json.isJsonObject()) {
                return false;
            }
            JsonObject parapet = json.getAsJsonObject().getAsJsonObject("parapet");
            return parapet != null && parapet.has("fingerprint")
                    && fingerprint.equals(parapet.get("fingerprint").getAsString());
        } catch (IOException | RuntimeException e) {
            return false; // unreadable or foreign config: rebuild over it
        }
    }

    private static String fingerprint(byte[] encoder, byte[] tokenizer) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(VERSION.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(SeedCorpus.sha256().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(MessageDigest.getInstance("SHA-256").digest(encoder));
            md.update(MessageDigest.getInstance("SHA-256").digest(tokenizer));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }

    private static byte[] readAll(InputStream in, String name) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }
}
