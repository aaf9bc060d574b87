package dev.parapet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line itself: help, version, usage errors. */
class ParapetTest {

    @Test
    void should_list_every_subcommand_and_the_exit_codes_in_help() {
        Cli.Run r = Cli.run("--help");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("scan", "eval", "train", "label", "bench", "Exit status:", "usage or input error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"scan", "eval", "train", "label", "bench"})
    void should_show_an_example_in_every_subcommand_help(String command) {
        Cli.Run r = Cli.run(command, "--help");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: parapet " + command, "Examples:", "parapet " + command + " ", "--no-progress");
    }

    @Test
    void should_print_the_version() {
        Cli.Run r = Cli.run("--version");

        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("parapet ");
    }

    @Test
    void should_exit_2_with_one_line_when_the_subcommand_is_unknown() {
        Cli.Run r = Cli.run("scna");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet: Unmatched argument at index 0: 'scna'").doesNotContain("\n");
    }

    @Test
    void should_exit_2_when_no_subcommand_is_given() {
        Cli.Run r = Cli.run();

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).contains("a subcommand is required").doesNotContain("\n");
    }

    @Test
    void should_exit_2_naming_the_option_when_a_value_is_bad() {
        Cli.Run r = Cli.run("eval", "--task", "sentiment", "--data", "x.jsonl");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet eval: Invalid value for option '--task'").contains("see parapet eval --help")
                .doesNotContain("\n");
    }

    @Test
    void should_exit_2_when_a_required_option_is_missing() {
        Cli.Run r = Cli.run("eval", "--task", "toxicity");

        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).startsWith("parapet eval: Missing required option: '--data=FILE'").doesNotContain("\n");
    }
}
