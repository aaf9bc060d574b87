package dev.parapet.models;

import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.scanners.ConfigContext;
import dev.parapet.scanners.HeadScanner;
import dev.parapet.scanners.MatchMode;
import dev.parapet.scanners.PreferenceScanner;
import dev.parapet.scanners.ScannerFactory;
import dev.parapet.scanners.ScannerParams;
import dev.parapet.scanners.TextNormalizer;

import java.util.Set;

/**
 * {@code toxicity}, {@code refusal} and {@code preference} in guard configuration files: the default
 * models, all on one {@link DefaultModels} per configuration (one encoder, one pass per text).
 */
public final class DefaultModelFactories {
    private DefaultModelFactories() {
    }

    static DefaultModels models(ConfigContext context) {
        return context.shared("dev.parapet.models.DefaultModels", () -> {
            DefaultModels m = DefaultModels.load(context.runtime(), DefaultModels.DEFAULT_WINDOW_TOKENS);
            // the scanners keep their own references; the configuration's hold ends after loading
            context.closeWithConfig(m);
            return m;
        });
    }

    /**
     * {@code toxicity}: threshold, match (windows|sentences), name, normalize (default true: the
     * model reads the text through {@link DefaultModels#normalizer()}, as in
     * {@link DefaultModels#guard()}; evidence still refers to the caller's text).
     */
    public static final class Toxicity implements ScannerFactory {
        @Override
        public String type() {
            return "toxicity";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("threshold", "match", "name", "normalize");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            MatchMode match = p.choice("match", MatchMode.class, MatchMode.WINDOWS);
            double threshold = p.number("threshold", Double.NaN);
            String name = p.string("name", "toxicity");
            boolean normalize = p.bool("normalize", true);
            DefaultModels models = models(context);
            HeadScanner.Builder b = HeadScanner.builder(name, models.toxicityHead(), models.encoder()).matchMode(match);
            if (!Double.isNaN(threshold)) {
                b.threshold(threshold);
            }
            // read the vocabulary before the scanner takes an encoder reference, so a failure leaks none
            TextNormalizer normalizer = normalize ? models.normalizer() : null;
            HeadScanner scanner = b.build();
            return normalizer == null ? scanner : normalizer.wrap(scanner);
        }
    }

    /** {@code refusal}: threshold, name. */
    public static final class Refusal implements ScannerFactory {
        @Override
        public String type() {
            return "refusal";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("threshold", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            double threshold = p.number("threshold", Double.NaN);
            HeadScanner.Builder b = HeadScanner.builder(p.string("name", "refusal"), models(context).refusalHead(), models(context).encoder());
            if (!Double.isNaN(threshold)) {
                b.threshold(threshold);
            }
            return b.build();
        }
    }

    /** {@code preference}: min_preference, name. */
    public static final class Preference implements ScannerFactory {
        @Override
        public String type() {
            return "preference";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("min_preference", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            double min = p.number("min_preference", Double.NaN);
            PreferenceScanner.Builder b = PreferenceScanner.builder(p.string("name", "preference"), models(context).preferenceHead(),
                    models(context).encoder());
            if (!Double.isNaN(min)) {
                b.minPreference(min);
            }
            return b.build();
        }
    }
}
