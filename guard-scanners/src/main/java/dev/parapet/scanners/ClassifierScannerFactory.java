package dev.parapet.scanners;

import dev.parapet.core.Scanner;
import dev.parapet.core.Stage;
import dev.parapet.onnx.Aggregation;
import dev.parapet.onnx.ModelSource;

import java.util.List;
import java.util.Set;

/**
 * {@code classifier}: any Hugging Face-layout ONNX sequence classifier directory. Params:
 * {@code model} (a local directory) or {@code repo} with optional {@code revision}, {@code subfolder},
 * {@code offline} (a Hugging Face repo, downloaded into the huggingface_hub cache), {@code name}, {@code labels} (the flagged ones),
 * {@code threshold}, {@code input} (text|pair), {@code max_length}, {@code stride},
 * {@code aggregation} (max|mean), {@code match} (windows|sentences).
 */
public final class ClassifierScannerFactory implements ScannerFactory {
    @Override
    public String type() {
        return "classifier";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("model", "name", "labels", "threshold", "input", "max_length", "stride", "aggregation", "match",
                "repo", "revision", "subfolder", "offline");
    }

    @Override
    public Scanner create(ScannerParams p, Stage stage, ConfigContext context) {
        // every parameter is read (and type-checked) before the model is touched
        String model = p.string("model", null);
        String repo = p.string("repo", null);
        if ((model == null) == (repo == null)) {
            throw new ConfigException(p.where() + ": give exactly one of 'model' (a local directory) and 'repo' (a Hugging Face repo id)");
        }
        String revision = p.string("revision", "main");
        String subfolder = p.string("subfolder", null);
        boolean offline = p.bool("offline", false);
        String name = p.string("name", "classifier");
        TextInput input = p.choice("input", TextInput.class, TextInput.TEXT);
        Aggregation aggregation = p.choice("aggregation", Aggregation.class, Aggregation.MAX);
        MatchMode match = p.choice("match", MatchMode.class, MatchMode.WINDOWS);
        List<String> labels = p.strings("labels");
        double threshold = p.number("threshold", 0.5);
        int maxLength = p.integer("max_length", -1);
        int stride = p.integer("stride", -1);
        ModelSource source;
        if (model != null) {
            source = ModelSource.directory(context.resolve(model));
        } else {
            dev.parapet.onnx.hub.HubModelSource.Builder hub = dev.parapet.onnx.hub.HubModelSource.builder().repo(repo).revision(revision);
            if (subfolder != null) {
                hub.subfolder(subfolder);
            }
            if (offline) {
                hub.offline(true);
            }
            source = hub.build().resolve();
        }
        ClassifierScanner.Builder b = ClassifierScanner.builder(name, source)
                .input(input).aggregation(aggregation).matchMode(match).threshold(threshold).options(context.runtime());
        if (!labels.isEmpty()) {
            b.flaggedLabels(labels.toArray(String[]::new));
        }
        if (maxLength > 0) {
            b.maxLength(maxLength);
        }
        if (stride >= 0) {
            b.stride(stride);
        }
        return b.build();
    }
}
