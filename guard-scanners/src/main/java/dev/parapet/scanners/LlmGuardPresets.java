package dev.parapet.scanners;

import dev.parapet.onnx.hub.HubModelSource;
import dev.parapet.onnx.hub.HubOptions;

import java.util.List;
import java.util.Objects;

/**
 * The model scanners of ProtectAI's LLM Guard (version 0.3.16), with the same models at the same
 * pinned commits, the same labels and the same thresholds, fetched from the Hugging Face hub into
 * huggingface_hub's cache (see {@link HubModelSource}). An LLM Guard user gets the scanner they know
 * by name:
 *
 * <pre>{@code
 * HubOptions hub = HubOptions.defaults();                 // HF_HOME, HF_TOKEN, HF_HUB_OFFLINE, HF_ENDPOINT
 * Guard guard = Guard.builder()
 *         .inputScanner(LlmGuardPresets.promptToxicity(hub).build())
 *         .outputScanner(LlmGuardPresets.outputToxicity(hub).build())
 *         .outputScanner(LlmGuardPresets.refusal(hub).build())
 *         .build();
 * }</pre>
 *
 * <table>
 *   <caption>Presets</caption>
 *   <tr><th>preset</th><th>LLM Guard scanner</th><th>model (repository, commit, file)</th><th>flags</th><th>threshold</th><th>tokens</th></tr>
 *   <tr><td>{@link #promptToxicity}</td><td>{@code input_scanners.Toxicity}</td>
 *       <td>{@value #TOXICITY_REPO} @ {@value #TOXICITY_REVISION}, {@code model.onnx}</td>
 *       <td>{@link #TOXICITY_LABELS} (7 of 16, sigmoid)</td><td>{@value #PROMPT_TOXICITY_THRESHOLD}</td><td>{@value #TOXICITY_MAX_LENGTH}</td></tr>
 *   <tr><td>{@link #outputToxicity}</td><td>{@code output_scanners.Toxicity}</td><td>same</td><td>same</td>
 *       <td>{@value #OUTPUT_TOXICITY_THRESHOLD}</td><td>{@value #TOXICITY_MAX_LENGTH}</td></tr>
 *   <tr><td>{@link #refusal}</td><td>{@code output_scanners.NoRefusal}</td>
 *       <td>{@value #REFUSAL_REPO} @ {@value #REFUSAL_REVISION}, {@code onnx/model.onnx}</td>
 *       <td>{@value #REFUSAL_LABEL} (softmax)</td><td>{@value #REFUSAL_THRESHOLD}</td><td>{@value #REFUSAL_MAX_LENGTH}</td></tr>
 * </table>
 *
 * <p>Each method fetches the model when called (nothing when the pinned commit is cached, nothing at
 * all in offline mode) and returns a {@link ClassifierScanner.Builder} that may still be changed
 * (threshold, runtime options, match mode) before {@code build()}. Failures are
 * {@link dev.parapet.onnx.hub.HubException}s naming the file and what to do.
 *
 * <p>Where Parapet differs from LLM Guard on purpose: a text longer than the model's window is scanned
 * in overlapping windows and the worst window counts (LLM Guard truncates it); a score equal to the
 * threshold flags (LLM Guard needs it strictly above, and rounds NoRefusal's score to two decimals);
 * the result reports the probability and the label that fired, with LLM Guard's risk score
 * available as {@code ScanResult.riskScore()}.
 */
public final class LlmGuardPresets {
    /** LLM Guard's toxicity model: ProtectAI's ONNX export of unitary/unbiased-toxic-roberta. */
    public static final String TOXICITY_REPO = "ProtectAI/unbiased-toxic-roberta-onnx";
    /** The commit LLM Guard 0.3.16 pins ({@code onnx_revision}). */
    public static final String TOXICITY_REVISION = "34480fa958f6657ad835c345808475755b6974a7";
    /** The labels LLM Guard flags: ids 0–6 of the model's 16 (the other 9 name identity groups, not harm). */
    public static final List<String> TOXICITY_LABELS = List.of(
            "toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat", "sexual_explicit");
    public static final double PROMPT_TOXICITY_THRESHOLD = 0.5;
    public static final double OUTPUT_TOXICITY_THRESHOLD = 0.7;
    /** LLM Guard's {@code max_length}: RoBERTa's 512 positions. */
    public static final int TOXICITY_MAX_LENGTH = 512;
    public static final String TOXICITY_NAME = "toxicity";

    /** LLM Guard's refusal model; the ONNX export is in the {@value #REFUSAL_SUBFOLDER} folder of the same repository. */
    public static final String REFUSAL_REPO = "ProtectAI/distilroberta-base-rejection-v1";
    public static final String REFUSAL_REVISION = "65584967c3f22ff7723e5370c65e0e76791e6055";
    public static final String REFUSAL_SUBFOLDER = "onnx";
    /** The model's labels are {@code NORMAL} and {@code REJECTION}. */
    public static final String REFUSAL_LABEL = "REJECTION";
    public static final double REFUSAL_THRESHOLD = 0.75;
    /** LLM Guard truncates NoRefusal's input at 128 tokens; here it is the window length. */
    public static final int REFUSAL_MAX_LENGTH = 128;
    public static final String REFUSAL_NAME = "no_refusal";

    private LlmGuardPresets() {
    }

    /**
     * Where the toxicity model comes from: {@code model.onnx}, {@code tokenizer.json} and
     * {@code config.json} at the root of {@value #TOXICITY_REPO} at the pinned commit. Change it
     * before {@code build()}, e.g. {@code .modelFile("model_quantized.onnx")} for the 8-bit export
     * in the same repository.
     */
    public static HubModelSource.Builder toxicityModel(HubOptions options) {
        return HubModelSource.builder().repo(TOXICITY_REPO).revision(TOXICITY_REVISION)
                .options(Objects.requireNonNull(options, "options"));
    }

    /**
     * Where the refusal model comes from: {@code onnx/model.onnx}, {@code onnx/tokenizer.json} and
     * {@code onnx/config.json} of {@value #REFUSAL_REPO} at the pinned commit.
     */
    public static HubModelSource.Builder refusalModel(HubOptions options) {
        return HubModelSource.builder().repo(REFUSAL_REPO).revision(REFUSAL_REVISION).subfolder(REFUSAL_SUBFOLDER)
                .options(Objects.requireNonNull(options, "options"));
    }

    /** LLM Guard's {@code input_scanners.Toxicity}: flags a prompt when any of the 7 harm labels reaches 0.5. */
    public static ClassifierScanner.Builder promptToxicity(HubOptions options) {
        return toxicity(toxicityModel(options).build(), PROMPT_TOXICITY_THRESHOLD);
    }

    /** LLM Guard's {@code output_scanners.Toxicity}: the same model on the output, at 0.7. */
    public static ClassifierScanner.Builder outputToxicity(HubOptions options) {
        return toxicity(toxicityModel(options).build(), OUTPUT_TOXICITY_THRESHOLD);
    }

    /** LLM Guard's {@code output_scanners.NoRefusal}: flags an output whose {@code REJECTION} probability reaches 0.75. */
    public static ClassifierScanner.Builder refusal(HubOptions options) {
        return refusal(refusalModel(options).build());
    }

    /** The toxicity configuration on any source, e.g. {@link #toxicityModel} with other settings. */
    public static ClassifierScanner.Builder toxicity(HubModelSource source, double threshold) {
        // LLM Guard forces function_to_apply="sigmoid"; pin it rather than trust config.json.
        return ClassifierScanner.builder(TOXICITY_NAME, source.resolve())
                .problemType(dev.parapet.onnx.ProblemType.MULTI_LABEL)
                .flaggedLabels(TOXICITY_LABELS.toArray(String[]::new))
                .threshold(threshold)
                .maxLength(TOXICITY_MAX_LENGTH)
                .input(TextInput.TEXT);
    }

    /** The refusal configuration on any source, e.g. {@link #refusalModel} with other settings. */
    public static ClassifierScanner.Builder refusal(HubModelSource source) {
        return ClassifierScanner.builder(REFUSAL_NAME, source.resolve())
                .flaggedLabels(REFUSAL_LABEL)
                .threshold(REFUSAL_THRESHOLD)
                .maxLength(REFUSAL_MAX_LENGTH)
                .input(TextInput.TEXT);
    }
}
