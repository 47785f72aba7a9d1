package dev.quokka.jobs;

import dev.quokka.dataprep.tokenize.BadRecordException;
import dev.quokka.jobs.bench.BenchCommand;
import dev.quokka.jobs.cli.AnalyzeCommand;
import dev.quokka.jobs.cli.CompareCommand;
import dev.quokka.jobs.cli.ExportCommand;
import dev.quokka.jobs.cli.DemoCommand;
import dev.quokka.jobs.cli.EnvCommand;
import dev.quokka.jobs.cli.FitCommand;
import dev.quokka.jobs.cli.GenerateCommand;
import dev.quokka.jobs.cli.PlanCommand;
import dev.quokka.jobs.cli.ShardCommand;
import dev.quokka.jobs.cli.StudyCommand;
import dev.quokka.jobs.cli.SweepCommand;
import dev.quokka.jobs.cli.TokenizeCommand;
import dev.quokka.jobs.cli.TokenizerCommand;
import dev.quokka.jobs.cli.TrainCommand;
import dev.quokka.jobs.cli.VerifyCommand;
import dev.quokka.jobs.runtime.InputException;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.runtime.Version;
import dev.quokka.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** The {@code quokka} command: one subcommand per job, the same options locally and under spark-submit. */
@Command(name = "quokka", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Data-constrained scaling studies of diffusion language models, on Apache Spark.",
        subcommands = {DemoCommand.class, StudyCommand.class, TokenizeCommand.class, ShardCommand.class, VerifyCommand.class, TrainCommand.class, SweepCommand.class, GenerateCommand.class, AnalyzeCommand.class, CompareCommand.class, ExportCommand.class, FitCommand.class, PlanCommand.class, TokenizerCommand.class, BenchCommand.class, EnvCommand.class,
                CommandLine.HelpCommand.class})
public final class Quokka {

    @Option(names = "--master", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Spark master (default: local[*], or the one spark-submit was given).")
    void setMaster(String master) {
        SparkSessions.setMaster(master);
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } finally {
            SparkSessions.stop();
        }
        System.exit(code);
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Quokka());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String name = "quokka " + commandPath(cmd);
            FAILURES.error(name + " failed", e); // the whole trace, for the log file only
            if (isUserError(e)) {
                cmd.getErr().println(name + ": " + oneLine(e.getMessage()));
                return 2;
            }
            cmd.getErr().println(name + ": internal error: " + oneLine(String.valueOf(e)) + " (the stack trace is in " + logFile() + ")");
            return 1;
        });
        return cli;
    }

    /** Where a failed command's stack trace went: the launcher's log file, or the driver's log under spark-submit. */
    static String logFile() {
        String file = System.getProperty("quokka.log");
        return file != null ? file : "the driver's log";
    }

    private static final org.slf4j.Logger FAILURES = org.slf4j.LoggerFactory.getLogger("dev.quokka.failures");

    /** "tokenizer train", not just "train". */
    private static String commandPath(CommandLine cmd) {
        String path = cmd.getCommandName();
        for (CommandLine p = cmd.getParent(); p != null && p.getParent() != null; p = p.getParent()) path = p.getCommandName() + " " + path;
        return path;
    }

    /** A message on one console line: whatever follows its first line break (a query plan, a nested trace) is in the log. */
    static String oneLine(String message) {
        if (message == null) return "(no message)";
        int eol = message.indexOf('\n');
        return eol < 0 ? message : message.substring(0, eol).stripTrailing() + " (more in " + logFile() + ")";
    }

    /**
     * Errors in the user's input or files: a message suffices, a stack trace would only hide it. Spark's
     * AnalysisException is a query that cannot run as written: a missing path, an unknown column.
     */
    private static boolean isUserError(Exception e) {
        return e instanceof TokenizerFormatException || e instanceof InputException || e instanceof BadRecordException || e instanceof IOException || e instanceof UncheckedIOException
                || e instanceof IllegalArgumentException || e instanceof dev.quokka.training.Trainer.Diverged
                || e instanceof org.apache.spark.sql.AnalysisException;
    }

}
