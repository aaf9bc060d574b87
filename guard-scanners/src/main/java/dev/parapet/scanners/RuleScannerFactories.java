package dev.parapet.scanners;

import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@link GuardConfig} types for the rule scanners. Parameter names follow the builders' setters in
 * snake_case; see docs/configuration.md.
 */
public final class RuleScannerFactories {
    private RuleScannerFactories() {
    }

    /** {@code banned_substrings}: substrings, match_type (substring|whole_word), case_sensitive, redact, redaction_token, flag_when_sanitized, name. */
    public static final class BannedSubstrings implements ScannerFactory {
        @Override
        public String type() {
            return "banned_substrings";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("substrings", "match_type", "case_sensitive", "redact", "redaction_token", "flag_when_sanitized", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            BannedSubstringsScanner.Builder b = BannedSubstringsScanner.builder()
                    .substrings(required(p, "substrings"))
                    .matchType(p.choice("match_type", BannedSubstringsScanner.MatchType.class, BannedSubstringsScanner.MatchType.SUBSTRING))
                    .caseSensitive(p.bool("case_sensitive", false))
                    .redact(p.bool("redact", false))
                    .flagWhenSanitized(p.bool("flag_when_sanitized", true));
            if (p.has("redaction_token")) {
                b.redactionToken(p.string("redaction_token", null));
            }
            if (p.has("name")) {
                b.name(p.string("name", null));
            }
            return b.build();
        }
    }

    /** {@code regex}: patterns, mode (block|allow), redact, redaction_token, flag_when_sanitized, name. */
    public static final class Regex implements ScannerFactory {
        @Override
        public String type() {
            return "regex";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("patterns", "mode", "redact", "redaction_token", "flag_when_sanitized", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            RegexScanner.Builder b = RegexScanner.builder()
                    .patterns(required(p, "patterns"))
                    .mode(p.choice("mode", RegexScanner.Mode.class, RegexScanner.Mode.BLOCK))
                    .redact(p.bool("redact", false))
                    .flagWhenSanitized(p.bool("flag_when_sanitized", true));
            if (p.has("redaction_token")) {
                b.redactionToken(p.string("redaction_token", null));
            }
            if (p.has("name")) {
                b.name(p.string("name", null));
            }
            return b.build();
        }
    }

    /** {@code invisible_text}: strip, categories, flag_when_sanitized, name. */
    public static final class InvisibleText implements ScannerFactory {
        @Override
        public String type() {
            return "invisible_text";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("strip", "categories", "flag_when_sanitized", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            InvisibleTextScanner.Builder b = InvisibleTextScanner.builder()
                    .strip(p.bool("strip", true))
                    .flagWhenSanitized(p.bool("flag_when_sanitized", true));
            List<String> categories = p.strings("categories");
            if (!categories.isEmpty()) {
                List<InvisibleTextScanner.Category> cs = new ArrayList<>();
                for (String c : categories) {
                    cs.add(enumValue(p, "categories", InvisibleTextScanner.Category.class, c));
                }
                b.categories(cs);
            }
            if (p.has("name")) {
                b.name(p.string("name", null));
            }
            return b.build();
        }
    }

    /** {@code token_limit}: tokenizer (a tokenizer.json path), max_tokens, action (block|truncate), flag_when_sanitized, name. */
    public static final class TokenLimit implements ScannerFactory {
        @Override
        public String type() {
            return "token_limit";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("tokenizer", "max_tokens", "action", "flag_when_sanitized", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            String tokenizer = p.requiredString("tokenizer");
            int maxTokens = p.integer("max_tokens", -1);
            if (maxTokens < 1) {
                throw new ConfigException(p.where() + ": parameter 'max_tokens' is required and must be >= 1");
            }
            TokenLimitScanner.Action action = p.choice("action", TokenLimitScanner.Action.class, TokenLimitScanner.Action.BLOCK);
            boolean flag = p.bool("flag_when_sanitized", true);
            String name = p.string("name", null);
            TokenLimitScanner.Builder b = TokenLimitScanner.builder().maxTokens(maxTokens).action(action).flagWhenSanitized(flag);
            if (tokenizer.startsWith("classpath:")) {
                b.tokenizerResource(tokenizer.substring("classpath:".length()));
            } else {
                b.tokenizer(context.resolve(tokenizer));
            }
            if (name != null) {
                b.name(name);
            }
            return b.build();
        }
    }

    /** {@code secrets}: types, redact, flag_when_sanitized, name. */
    public static final class Secrets implements ScannerFactory {
        @Override
        public String type() {
            return "secrets";
        }

        @Override
        public Set<String> parameters() {
            return Set.of("types", "redact", "flag_when_sanitized", "name");
        }

        @Override
        public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
            SecretsScanner.Builder b = SecretsScanner.builder()
                    .redact(p.bool("redact", true))
                    .flagWhenSanitized(p.bool("flag_when_sanitized", true));
            List<String> types = p.strings("types");
            if (!types.isEmpty()) {
                List<SecretsScanner.SecretType> ts = new ArrayList<>();
                for (String t : types) {
                    ts.add(enumValue(p, "types", SecretsScanner.SecretType.class, t));
                }
                b.types(ts);
            }
            if (p.has("name")) {
                b.name(p.string("name", null));
            }
            return b.build();
        }
    }

    private static List<String> required(ScannerParams p, String name) {
        List<String> values = p.strings(name);
        if (values.isEmpty()) {
            throw new ConfigException(p.where() + ": parameter '" + name + "' is required (a non-empty list of strings)");
        }
        return values;
    }

    private static <E extends Enum<E>> E enumValue(ScannerParams p, String param, Class<E> type, String value) {
        for (E c : type.getEnumConstants()) {
            if (c.name().equalsIgnoreCase(value)) {
                return c;
            }
        }
        List<String> known = new ArrayList<>();
        for (E c : type.getEnumConstants()) {
            known.add(c.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw new ConfigException(p.where() + ": '" + value + "' in '" + param + "' is not one of " + known);
    }
}
