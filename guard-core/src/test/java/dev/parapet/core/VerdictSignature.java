package dev.parapet.core;

import java.util.List;

/** What a verdict says, minus latencies (which differ from run to run), for comparing verdicts. */
record VerdictSignature(boolean allowed, List<String> results, String sanitizedPrompt, String sanitizedOutput) {

    static VerdictSignature of(Verdict v) {
        List<String> results = v.results().stream()
                .map(r -> r.scanner() + "|" + r.stage() + "|" + r.decision() + "|" + r.label() + "|" + r.score()
                        + "|" + r.threshold() + "|" + r.evidence() + "|" + r.sanitizedText() + "|" + r.errorMessage()
                        + "|" + r.attributes())
                .toList();
        return new VerdictSignature(v.allowed(), results, v.sanitizedPrompt(), v.sanitizedOutput());
    }

    static List<VerdictSignature> of(List<Verdict> verdicts) {
        return verdicts.stream().map(VerdictSignature::of).toList();
    }
}
