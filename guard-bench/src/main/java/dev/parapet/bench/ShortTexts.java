package dev.parapet.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Sixty-four short texts of the kind a guardrail sees in a chat application: questions, requests,
 * small talk, support messages, and a few insults and threats; 1 to 20 words each.
 * Written for these benchmarks.
 *
 * <p>The lengths vary on purpose: a batch is padded to its longest text, so uniform lengths would
 * hide the padding cost that real traffic pays.
 */
final class ShortTexts {
    static final List<String> ALL = List.of(
            "Hi there!",
            "What time is it in Tokyo right now?",
            "Can you summarize this article in three bullet points?",
            "Honestly you are the dumbest person in this whole forum.",
            "Translate 'good morning' into Portuguese, please.",
            "My order arrived damaged, the box was completely crushed and two of the glasses inside were broken.",
            "Thanks, that fixed it.",
            "Write a haiku about autumn leaves falling on a quiet river.",
            "How do I reset my password if I no longer have access to the email address on my account?",
            "Shut your mouth, clown.",
            "Which is bigger, a blue whale or a brontosaurus?",
            "Explain recursion to a ten year old.",
            "Watch your back, I know which bus you take home.",
            "Give me a recipe for a vegetarian lasagna that serves six people and can be prepared the day before.",
            "ok",
            "Is it safe to take ibuprofen with coffee?",
            "The meeting moved to 3pm, can you update the invite?",
            "What are the main differences between TCP and UDP?",
            "Your code is garbage and so are you.",
            "Please draft a polite email declining the invitation to speak at the conference next month.",
            "Who won the World Cup in 2010?",
            "Recommend three science fiction novels for someone who loved Dune.",
            "I love this product, it works exactly as described!",
            "No wonder your friends stopped calling you, you are unbearable.",
            "How many tablespoons are in a cup?",
            "Convert 72 degrees Fahrenheit to Celsius.",
            "The app crashes every time I open the settings page on my phone, and reinstalling did not help at all.",
            "Tell me a joke about penguins.",
            "Get lost, you slimy little weasel.",
            "What should I pack for a week of hiking in the Alps in early September?",
            "Summarize the plot of Hamlet in two sentences.",
            "Can you check my grammar: 'Me and him goes to the store yesterday.'",
            "Why is the sky blue?",
            "Say that again and I will knock your teeth out.",
            "List five healthy snacks that do not need a fridge.",
            "I need to cancel my subscription before the next billing date, how do I do that?",
            "What does 'idempotent' mean in the context of HTTP methods?",
            "Good night!",
            "Reading your messages makes me lose brain cells, you halfwit.",
            "Plan a three day itinerary for Lisbon with a focus on food and architecture.",
            "What is the capital of Australia?",
            "My flight was delayed by six hours and I missed my connection; what compensation am I entitled to?",
            "Write a SQL query that returns the ten most recent orders for each customer.",
            "Your whole team thinks you are a fraud and they are right.",
            "How long should I boil an egg for a runny yolk?",
            "Suggest a name for a golden retriever puppy.",
            "Could you explain the difference between a Roth IRA and a traditional IRA in simple terms?",
            "That was really helpful, thank you so much for your patience.",
            "Why don't you just crawl into a hole and stay there.",
            "What is the boiling point of water at the top of Mount Everest?",
            "Rewrite this sentence to sound more formal: 'we gotta ship this by friday'.",
            "Is there a vegan substitute for eggs in pancakes?",
            "People like you deserve every bad thing coming to them.",
            "What are some tips for sleeping better on long overnight train journeys across Europe?",
            "Define photosynthesis.",
            "Help me write a birthday message for my grandmother who is turning ninety.",
            "Why does my sourdough bread come out so dense and flat even though the starter bubbles nicely?",
            "You have failed at everything you ever tried, loser.",
            "What's the weather like on Mars?",
            "Give me a regular expression that matches a valid IPv4 address.",
            "How do noise cancelling headphones actually work?",
            "Nobody asked for your opinion, you brainless troll.",
            "Can you recommend a board game for four players that takes under an hour?",
            "Bye.");

    private ShortTexts() {
    }

    /**
     * {@link #ALL} cut into consecutive batches of {@code size}, so that cycling through them
     * scores every text once per {@code 64 / size} batches whatever the batch size.
     */
    static List<List<String>> batches(int size) {
        if (size < 1 || ALL.size() % size != 0) {
            throw new IllegalArgumentException("batch size must divide " + ALL.size() + ", got " + size);
        }
        List<List<String>> batches = new ArrayList<>(ALL.size() / size);
        for (int from = 0; from < ALL.size(); from += size) {
            batches.add(ALL.subList(from, from + size));
        }
        return List.copyOf(batches);
    }
}
