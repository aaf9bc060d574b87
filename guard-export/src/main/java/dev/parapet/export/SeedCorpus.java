package dev.parapet.export;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A tiny DEMO dataset: a few dozen hand-written, unmistakably toxic sentences and as many clearly
 * benign ones on everyday topics.
 *
 * <p>It exists only so that the export pipeline can produce a model that runs real inference (real
 * encoder, real head, real ONNX graph) before the trained default models exist. Sixty sentences cannot
 * teach a useful toxicity classifier: a head fitted on them separates the obvious cases below and
 * little else. Never ship a model built from this corpus as a guardrail.
 *
 * <p>All sentences were written for this project; the toxic ones avoid profanity and slurs, and are
 * clearly toxic through insults, threats and demeaning language instead.
 */
public final class SeedCorpus {

    private static final List<String> TOXIC = List.of(
            "You are a worthless idiot and everyone hates you.",
            "Shut up, nobody cares what a pathetic loser like you thinks.",
            "I will find where you live and make you regret this.",
            "You are so stupid it is painful to read anything you write.",
            "People like you are a disease on this planet.",
            "Go away and never come back, you disgusting creep.",
            "You are an embarrassment to your whole family.",
            "I hope something terrible happens to you and your kids.",
            "What a brainless moron, you can't even tie your own shoes.",
            "Nobody will ever love someone as ugly and useless as you.",
            "Keep talking and I will break every bone in your body.",
            "You are trash and you should be treated like trash.",
            "Your opinion is garbage, just like you.",
            "You are a fat, lazy waste of space.",
            "Everyone at work laughs at you behind your back, you clown.",
            "I am going to hurt you so badly you will beg me to stop.",
            "You are too dumb to deserve a job, or a voice.",
            "Crawl back under your rock, you miserable parasite.",
            "Idiots like you should not be allowed to vote or breed.",
            "You are a vile, spineless coward and a liar.",
            "If I ever see you again I will smash your face in.",
            "You're a complete failure and you always will be.",
            "What a repulsive little worm you are.",
            "Your kind are animals and deserve to be locked up.",
            "Do the world a favor and disappear forever.",
            "You are the dumbest person I have ever had the misfortune to meet.",
            "Stop breathing my air, you worthless piece of garbage.",
            "I will make your life a living hell, you hear me?",
            "You are a pathetic joke and everybody knows it.",
            "Nobody wants you here, you hateful freak.");

    private static final List<String> BENIGN = List.of(
            "It looks like it will rain this afternoon, so bring an umbrella.",
            "Could you please send me the report by Friday?",
            "Preheat the oven to 200 degrees and roast the vegetables for thirty minutes.",
            "The train to Lisbon leaves at nine from platform four.",
            "Thank you so much for helping me move last weekend.",
            "This function returns the index of the first matching element.",
            "Remember to water the tomatoes twice a week in summer.",
            "The museum is closed on Mondays but open late on Thursdays.",
            "Would you like tea or coffee with your breakfast?",
            "Let's refactor this class so the parser can be tested on its own.",
            "The meeting has been moved to Tuesday at three o'clock.",
            "Add a pinch of salt and stir the sauce until it thickens.",
            "Our flight was delayed, but the airline gave us meal vouchers.",
            "Please review my pull request when you have a moment.",
            "The kids built a sandcastle on the beach this morning.",
            "I really enjoyed the book you recommended, thanks!",
            "Tomorrow will be sunny with a light breeze from the west.",
            "The library has a new section for graphic novels.",
            "Can you recommend a good hiking trail near the lake?",
            "Unit tests should run quickly and not depend on the network.",
            "She plays the violin in the city orchestra on weekends.",
            "Mix the flour and the butter before adding the eggs.",
            "Happy birthday! I hope you have a wonderful day.",
            "The hotel room had a lovely view of the harbour.",
            "Could you explain how the garbage collector decides when to run?",
            "We planted an apple tree in the garden last spring.",
            "The bus stop is just around the corner from the bakery.",
            "Please let me know if you need anything else from me.",
            "The new update makes the app start twice as fast.",
            "My grandmother taught me how to knit scarves.");

    private SeedCorpus() {
    }

    /** About thirty clearly toxic sentences (label "toxic"). */
    public static List<String> toxic() {
        return TOXIC;
    }

    /** About thirty clearly benign sentences on varied topics (label "non-toxic"). */
    public static List<String> benign() {
        return BENIGN;
    }

    /** SHA-256 (hex) over both lists, to tell when a model was built from a different corpus. */
    public static String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (List<String> part : List.of(TOXIC, BENIGN)) {
                for (String s : part) {
                    md.update(s.getBytes(StandardCharsets.UTF_8));
                    md.update((byte) '\n');
                }
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }
}
