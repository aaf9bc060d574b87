package dev.parapet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordsTest {
    @TempDir
    Path tmp;

    @Test
    void should_read_json_lines_skipping_blank_lines_and_keeping_line_numbers() throws IOException {
        Path f = tmp.resolve("a.jsonl");
        Files.writeString(f, "{\"text\": \"one\", \"n\": 1, \"x\": null}\n\n{\"text\": \"two\", \"tags\": [\"a\"]}\n", StandardCharsets.UTF_8);

        List<Records.Row> rows = Records.read(f);

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("text")).isEqualTo("one");
        assertThat(rows.get(0).get("n")).isEqualTo("1");
        assertThat(rows.get(0).get("x")).isNull();
        assertThat(rows.get(1).line()).isEqualTo(3);
        assertThat(rows.get(1).get("tags")).isEqualTo("[\"a\"]");
    }

    @Test
    void should_read_csv_with_a_header_and_quoted_commas_and_newlines() throws IOException {
        Path f = tmp.resolve("a.csv");
        Files.writeString(f, "prompt,output\n\"Hi, there\",\"line one\nline two\"\nplain,text\n", StandardCharsets.UTF_8);

        List<Records.Row> rows = Records.read(f);

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("prompt")).isEqualTo("Hi, there");
        assertThat(rows.get(0).get("output")).isEqualTo("line one\nline two");
        assertThat(rows.get(1).json().get("output").getAsString()).isEqualTo("text");
    }

    @Test
    void should_read_tsv_and_stop_at_the_limit() throws IOException {
        Path f = tmp.resolve("a.tsv");
        Files.writeString(f, "text\tlabel\na\ttoxic\nb\tnon-toxic\nc\ttoxic\n", StandardCharsets.UTF_8);

        assertThat(Records.read(f, 2)).extracting(r -> r.get("label")).containsExactly("toxic", "non-toxic");
    }

    @Test
    void should_name_file_and_line_of_bad_json() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"text\": oops}\n", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> Records.read(f)).isInstanceOf(CliException.class).hasMessageStartingWith(f + ":2: not valid JSON");
    }

    @Test
    void should_refuse_a_row_that_is_not_an_object() throws IOException {
        Path f = tmp.resolve("arr.jsonl");
        Files.writeString(f, "[1, 2]\n", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> Records.read(f)).hasMessage(f + ":1: expected a JSON object, got an array");
    }

    @Test
    void should_say_when_the_file_is_missing() {
        Path f = tmp.resolve("nope.jsonl");

        assertThatThrownBy(() -> Records.read(f)).isInstanceOf(CliException.class).hasMessage("input file " + f + " does not exist");
    }
}
