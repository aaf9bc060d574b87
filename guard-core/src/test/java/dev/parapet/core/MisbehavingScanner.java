package dev.parapet.core;

import java.util.List;
import java.util.function.Function;

/** A scanner that breaks the contract in a chosen way: returns null, a wrong name, a wrong stage, short batches. */
final class MisbehavingScanner extends RecordingScanner {
    private final Function<ScanInput, ScanResult> answer;
    private final boolean dropOneFromBatches;

    private MisbehavingScanner(String name, Function<ScanInput, ScanResult> answer, boolean dropOneFromBatches) {
        super(name);
        this.answer = answer;
        this.dropOneFromBatches = dropOneFromBatches;
    }

    static MisbehavingScanner returningNull(String name) {
        return new MisbehavingScanner(name, input -> null, false);
    }

    static MisbehavingScanner returningName(String name, String wrongName) {
        return new MisbehavingScanner(name, input -> ScanResult.builder(wrongName, input.stage()).build(), false);
    }

    static MisbehavingScanner returningStage(String name, Stage wrongStage) {
        return new MisbehavingScanner(name, input -> ScanResult.builder(name, wrongStage).build(), false);
    }

    static MisbehavingScanner droppingOneFromBatches(String name) {
        return new MisbehavingScanner(name, input -> ScanResult.builder(name, input.stage()).build(), true);
    }

    @Override
    protected ScanResult judge(ScanInput input) {
        return answer.apply(input);
    }

    @Override
    public List<ScanResult> scanAll(List<ScanInput> batch) {
        List<ScanResult> all = super.scanAll(batch);
        return dropOneFromBatches ? all.subList(0, all.size() - 1) : all;
    }
}
