package dev.omnibus.examples.cli;

import dev.omnibus.bench.BenchMain;
import dev.omnibus.broker.Brokers;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code omnibus} command line. Exit codes: 0 success, 1 failure (one readable line on
 * stderr; the stack trace with {@code --verbose}), 2 bad usage, 3 timed out waiting.
 */
@Command(name = "omnibus", mixinStandardHelpOptions = true, version = "omnibus 0.1.0",
        description = "Publish/subscribe messaging on any broker, chosen by classpath and URL.",
        subcommands = {DemoCommand.class, PublishCommand.class, SubscribeCommand.class, RequestCommand.class, ClusterCommand.class,
                BenchMain.class, ProvidersCommand.class, CommandLine.HelpCommand.class})
public final class OmnibusCli {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_TIMEOUT = 3;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new OmnibusCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE
                : e instanceof TimeoutExit ? EXIT_TIMEOUT : EXIT_FAILURE);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            commandLine.getErr().println("omnibus: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (verbose) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return commandLine.getExitCodeExceptionMapper().getExitCode(e);
        });
        return cli.execute(args);
    }

    /** The broker URL: the option, else {@code OMNIBUS_BROKER_URL} / {@code -Domnibus.broker.url}, else {@code fallback}. */
    static String brokerUrl(String option, String fallback) {
        if (option != null && !option.isBlank()) {
            return option;
        }
        String configured = Brokers.configuredUrl();
        return configured != null ? configured : fallback;
    }

    /** Thrown when a command gave up waiting; exit code 3. */
    static final class TimeoutExit extends RuntimeException {
        TimeoutExit(String message) {
            super(message);
        }
    }
}
