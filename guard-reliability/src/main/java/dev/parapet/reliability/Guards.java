package dev.parapet.reliability;

import dev.parapet.core.Guard;
import dev.parapet.models.DefaultModels;
import dev.parapet.onnx.ModelSource;
import dev.parapet.onnx.SharedTextEncoder;
import dev.parapet.onnx.TextEncoder;
import dev.parapet.scanners.BannedSubstringsScanner;
import dev.parapet.scanners.HeadScanner;
import dev.parapet.scanners.InvisibleTextScanner;
import dev.parapet.scanners.MatchMode;
import dev.parapet.scanners.PreferenceScanner;
import dev.parapet.scanners.RegexScanner;
import dev.parapet.scanners.SecretsScanner;
import dev.parapet.scanners.TextNormalizer;
import dev.parapet.scanners.TokenLimitScanner;

/** The guards the reliability suite exercises, all on the default models. */
public final class Guards {
    /** The default encoder's files at the root of LangChain4j's bge-small jar (as DefaultModels reads them). */
    public static final String ENCODER_ONNX = "bge-small-en-v1.5-q.onnx";
    public static final String ENCODER_TOKENIZER = "bge-small-en-v1.5-q-tokenizer.json";

    private Guards() {
    }

    /**
     * What {@link DefaultModels#guard()} builds (toxicity behind the normaliser on prompts; the same
     * toxicity, refusal, preference on outputs), from {@code models}: {@link DefaultModels#guardBuilder()}.
     * Like it, without a scanner timeout: callers add one ({@code DefaultModels.guard()} uses
     * {@link DefaultModels#DEFAULT_SCANNER_TIMEOUT}).
     */
    public static Guard.Builder defaults(DefaultModels models) {
        return models.guardBuilder();
    }

    /**
     * The defaults plus every rule scanner, and toxicity reading the {@link TextNormalizer}'s view
     * of the text: what an application that takes hostile input should run.
     */
    public static Guard.Builder hardened(DefaultModels models) {
        TextNormalizer normalizer = models.normalizer();
        ClassLoader cl = Guards.class.getClassLoader();
        return Guard.builder()
                .inputScanner(InvisibleTextScanner.builder().build())
                .inputScanner(SecretsScanner.builder().build())
                .inputScanner(BannedSubstringsScanner.builder().substrings("ignore previous instructions", "ignore all previous instructions").build())
                .inputScanner(RegexScanner.builder().pattern("password", "(?i)\\bpass(?:word|wd)?\\s*[:=]\\s*\\S+").redact(true).build())
                .inputScanner(TokenLimitScanner.builder().tokenizer(ModelSource.classpath(cl, ENCODER_ONNX, ENCODER_TOKENIZER, null))
                        .maxTokens(300_000).build())
                .inputScanner(normalizer.wrap(models.toxicityScanner().build()))
                .outputScanner(InvisibleTextScanner.builder().build())
                .outputScanner(SecretsScanner.builder().build())
                .outputScanner(normalizer.wrap(models.toxicityScanner().build()))
                .outputScanner(models.refusalScanner().build())
                .outputScanner(models.preferenceScanner().build());
    }

    /**
     * The default scanners on an encoder without the shared memo, so that every call runs the
     * model (for concurrency tests that must exercise concurrent ONNX runs, not memo hits). With no
     * memo every scanner's encoder call is its own batch, so results cannot depend on timing.
     */
    public static Guard withoutMemo(DefaultModels models) {
        ClassLoader cl = Guards.class.getClassLoader();
        TextEncoder textEncoder = TextEncoder.builder(ModelSource.classpath(cl, ENCODER_ONNX, ENCODER_TOKENIZER, null))
                .maxLength(DefaultModels.DEFAULT_WINDOW_TOKENS).taps(models.encoder().encoder().taps()).build();
        try (SharedTextEncoder encoder = SharedTextEncoder.of(textEncoder, 0)) {
            return Guard.builder()
                    .inputScanner(HeadScanner.builder("toxicity", models.toxicityHead(), encoder).matchMode(MatchMode.WINDOWS).build())
                    .outputScanner(HeadScanner.builder("toxicity", models.toxicityHead(), encoder).matchMode(MatchMode.WINDOWS).build())
                    .outputScanner(HeadScanner.builder("refusal", models.refusalHead(), encoder).build())
                    .outputScanner(PreferenceScanner.builder("preference", models.preferenceHead(), encoder).build())
                    .build();
        }
    }
}
