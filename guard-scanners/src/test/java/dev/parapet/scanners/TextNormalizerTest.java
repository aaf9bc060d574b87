package dev.parapet.scanners;

import dev.parapet.core.Decision;
import dev.parapet.core.Evidence;
import dev.parapet.core.Guard;
import dev.parapet.core.ScanInput;
import dev.parapet.core.ScanResult;
import dev.parapet.core.Scanner;
import dev.parapet.core.Verdict;
import dev.parapet.scanners.TextNormalizer.Fold;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextNormalizerTest {
    private final TextNormalizer normalizer = TextNormalizer.builder().build();

    private String n(String text) {
        return normalizer.apply(text);
    }

    @Test
    void should_leave_plain_text_untouched() {
        for (String plain : List.of("", "   ", "You are a kind person.", "We met on the 2nd of May in the 90s; 4k video, 10kg, mp3 and covid19.",
                "@USER thanks! Write to john@example.com or visit k1ds.org", "café, naïve, Müller, São Paulo",
                "Привет, как дела? Это обычный русский текст.", "Καλημέρα σας", "👩‍💻 and 👨‍👩‍👧 and 🏳️‍🌈", "a b", "Is it A or B?",
                "I have 3 apples and 1 pear", "www.example.com, zzz, III", "coffee, bookkeeper, Mississippi", "e.g. and i.e.")) {
            assertThat(n(plain)).as(plain).isEqualTo(plain);
        }
    }

    @Test
    void should_fold_look_alike_letters_from_other_scripts() {
        assertThat(n("yоu аrе аn іdіоt")).isEqualTo("you are an idiot");        // Cyrillic о а е і
        assertThat(n("ѕtuріd")).isEqualTo("stupid");                            // a word of look-alikes only
        assertThat(n("ΙDΙΟΤ")).isEqualTo("IDIOT");                              // Greek capitals
        assertThat(n("ｙｏｕ ａｒｅ ｄｕｍｂ")).isEqualTo("you are dumb");          // fullwidth, by NFKC
        assertThat(n("𝐬𝐭𝐮𝐩𝐢𝐝 𝓲𝓭𝓲𝓸𝓽")).isEqualTo("stupid idiot");            // mathematical letters
        assertThat(n("ʏᴏᴜ ᴀʀᴇ ᴅᴜᴍʙ")).isEqualTo("you are dumb");                 // small capitals
        // real Cyrillic text is not Latinised, even its words made only of look-alikes
        assertThat(n("Он сказал: а у тебя?")).isEqualTo("Он сказал: а у тебя?");
    }

    @Test
    void should_strip_invisible_characters_inside_words_but_keep_emoji_sequences() {
        assertThat(n("id\u200Bi\u200Cot st\u2060up\uFEFFid s\u00ADhit")).isEqualTo("idiot stupid shit");
        assertThat(n("\u202Eevil\u202C \uD800x\uDC00 a\u0000b\u0007c")).isEqualTo("evil x abc");
        assertThat(n("i\u3164d\u115Fiot")).isEqualTo("idiot");
        assertThat(n("👩\u200D💻")).isEqualTo("👩\u200D💻");
    }

    @Test
    void should_drop_mark_floods_but_keep_accents() {
        assertThat(n("i" + "\u0301\u0302\u0303".repeat(50) + "diot")).isEqualTo("idiot");
        assertThat(n("ẓ̷̢a̵̛l̶g̸o")).isEqualTo("zalgo");
        assertThat(n("cafe\u0301")).isEqualTo("café");
        assertThat(n("Vi\u1EC7t Nam")).isEqualTo("Vi\u1EC7t Nam");
    }

    @Test
    void should_fold_leet_inside_words_only() {
        assertThat(n("y0u 4r3 4n 1d10t")).isEqualTo("you are an idiot");
        assertThat(n("5tup1d b1tch, sh!t, a$$hole")).isEqualTo("stupid bitch, shit, asshole");
        // in a text written in l33t even short all-digit words and a leading @ are letters
        assertThat(n("y0u 4r3 4 l053r 70 m3, @ss")).isEqualTo("you are a loser to me, ass");
        // in ordinary text they are numbers and mentions
        assertThat(n("@sam it is 70 km, see you at 4")).isEqualTo("@sam it is 70 km, see you at 4");
        assertThat(n("You are an idiot!!")).isEqualTo("You are an idiot!!");
        assertThat(n("H4T3")).isEqualTo("HATE");
    }

    @Test
    void should_join_spaced_letters_and_collapse_stretched_ones() {
        assertThat(n("you are one f u c k i n g i d i o t")).isEqualTo("you are one fuckingidiot");
        assertThat(n("you are a l o s e r")).as("a one-letter word next to them is joined too").isEqualTo("you are aloser");
        assertThat(n("what a s.t.u.p.i.d idea")).isEqualTo("what a stupid idea");
        assertThat(n("shut up, l-o-s-e-r")).isEqualTo("shut up, loser");
        assertThat(n("you are stuuuuupid, fuuuck offfff")).isEqualTo("you are stupid, fuck of");
    }

    @Test
    void should_use_a_vocabulary_to_split_joined_letters_and_keep_real_doubles() {
        TextNormalizer withWords = TextNormalizer.builder().vocabulary(List.of("This", "time", "support", "loser", "a", "kiss")).build();
        assertThat(withWords.apply("t h i s t i m e")).isEqualTo("this time");
        assertThat(withWords.apply("you are a l o s e r")).isEqualTo("you are a loser");
        assertThat(withWords.apply("suppppport and kissssing")).isEqualTo("support and kissing");
        assertThat(withWords.apply("x y z q")).as("no split into words: stays joined").isEqualTo("xyzq");
    }

    @Test
    void should_map_spans_of_the_normalised_text_back_to_the_original() {
        String original = "hey y\u200Bo\u200Bu 1d10t";
        TextNormalizer.Normalized nz = normalizer.normalize(original);
        assertThat(nz.text()).isEqualTo("hey you idiot");
        int[] idiot = nz.originalSpan(8, 13);
        assertThat(original.substring(idiot[0], idiot[1])).isEqualTo("1d10t");
        int[] you = nz.originalSpan(4, 7);
        assertThat(original.substring(you[0], you[1])).isEqualTo("y\u200Bo\u200Bu");
        Evidence e = nz.toOriginal(new Evidence(0, 13, "toxic", 0.9, "window 1 of 1"));
        assertThat(e.start()).isZero();
        assertThat(e.end()).isEqualTo(original.length());
    }

    @Test
    void should_run_as_a_sanitizer_and_report_what_it_folded() {
        ScanResult r = normalizer.scan(ScanInput.prompt("y0u аrе dumb"));
        assertThat(r.decision()).isEqualTo(Decision.PASSED);
        assertThat(r.sanitizedText()).isEqualTo("you are dumb");
        assertThat(r.attributes()).containsEntry("changed", "true").containsEntry("folds", "confusables=2, leet=1");
        ScanResult plain = normalizer.scan(ScanInput.prompt("hello"));
        assertThat(plain.sanitizedText()).isNull();
        assertThat(plain.attributes()).containsEntry("changed", "false");
    }

    @Test
    void should_hand_a_wrapped_detector_the_normalised_text_and_keep_the_callers_text() {
        AtomicReference<String> seen = new AtomicReference<>();
        Scanner detector = new Scanner() {
            @Override
            public String name() {
                return "word";
            }

            @Override
            public ScanResult scan(ScanInput input) {
                seen.set(input.text());
                int at = input.text().indexOf("idiot");
                ScanResult.Builder b = ScanResult.builder(name(), input.stage()).score(at >= 0 ? 1.0 : 0.0);
                if (at >= 0) {
                    b.decision(Decision.FLAGGED).evidence(new Evidence(at, at + 5, "toxic", 1.0, null));
                }
                return b.build();
            }
        };
        String prompt = "you are an 1d\u200B10t, really";
        try (Guard guard = Guard.builder().inputScanner(normalizer.wrap(detector)).build()) {
            Verdict v = guard.scanPrompt(prompt);
            assertThat(seen.get()).isEqualTo("you are an idiot, really");
            assertThat(v.sanitizedPrompt()).isEqualTo(prompt);
            ScanResult r = v.results().get(0);
            assertThat(r.decision()).isEqualTo(Decision.FLAGGED);
            assertThat(r.attributes()).containsEntry("normalized", "true");
            assertThat(r.evidence().get(0).excerpt(prompt)).isEqualTo("1d\u200B10t");
        }
        assertThatThrownBy(() -> normalizer.wrap(normalizer)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sanitizer");
    }

    @Test
    void should_apply_only_the_chosen_folds() {
        TextNormalizer onlyInvisible = TextNormalizer.builder().folds(EnumSet.of(Fold.INVISIBLE)).build();
        assertThat(onlyInvisible.apply("1d\u200B10t")).isEqualTo("1d10t");
        TextNormalizer noLeet = TextNormalizer.builder().without(Fold.LEET).build();
        assertThat(noLeet.apply("1d\u200B10t аss")).isEqualTo("1d10t ass");
    }

    @Test
    void should_survive_hostile_text_in_linear_time() {
        List<String> hostile = List.of("\uDC00\uD800", "\u0000".repeat(1000), "\u0301".repeat(10_000), "e" + "\u0301".repeat(10_000),
                "\n".repeat(50_000), "x".repeat(100_000), "a a a a a a a a", "a-".repeat(10_000), "1".repeat(10_000) + "a",
                "🏴\uDB40\uDC67\uDB40\uDC62\uDB40\uDC65\uDB40\uDC6E\uDB40\uDC67\uDB40\uDC7F");
        for (String h : hostile) {
            TextNormalizer.Normalized nz = normalizer.normalize(h);
            assertThat(nz.text().length()).isLessThanOrEqualTo(h.length());
            if (!nz.text().isEmpty()) {
                int[] all = nz.originalSpan(0, nz.text().length());
                assertThat(all[0]).isBetween(0, h.length());
                assertThat(all[1]).isBetween(all[0], h.length());
            }
        }
        String big = "The quick brown fox jumps over the lazy dog, y0u 1d10t. ".repeat(20_000);
        String folded = normalizer.apply(big);
        assertThat(folded.length()).isEqualTo(big.length());
        assertThat(folded.startsWith("The quick brown fox jumps over the lazy dog, you idiot. ")).isTrue();
    }
}
