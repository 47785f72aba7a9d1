package dev.quokka.jobs;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code quokka} in a JVM of its own, started the way the launcher starts it: the real entry point, the test's
 * classpath and module flags, the launcher's log configuration, and one thread for ND4J and BLAS unless told
 * otherwise. For the promises that only hold, or only fail, across processes.
 */
final class QuokkaProcess {
    private final Process process;
    private final Path log;

    private QuokkaProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The test JVM's real classpath: surefire runs tests through a manifest-only jar and names the entries here. */
    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** The entries of {@link #classpath()}. */
    static List<Path> classpathEntries() {
        List<Path> entries = new ArrayList<>();
        for (String e : classpath().split(File.pathSeparator)) if (!e.isBlank()) entries.add(Path.of(e));
        return entries;
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** This JVM's --add-opens and similar flags, which Spark needs in every JVM. */
    static List<String> moduleFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Djdk.reflect"))
                .toList();
    }

    /** Starts {@code quokka args...} with {@code env} added to one-thread defaults; its output goes to {@code log}. */
    static QuokkaProcess start(Path log, Map<String, String> env, String... args) throws IOException {
        return start(log, env, List.of(), args);
    }

    /** The same, with more JVM options (such as {@code -Dspark.*} settings, which every SparkConf reads). */
    static QuokkaProcess start(Path log, Map<String, String> env, List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx2g"));
        command.addAll(moduleFlags());
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dlog4j2.configurationFile=quokka-log4j2.properties", "-cp", classpath(), Quokka.class.getName()));
        command.addAll(List.of(args));
        return startCommand(log, env, command);
    }

    /** Starts any Java command line in the one-thread environment. */
    static QuokkaProcess startCommand(Path log, Map<String, String> env, List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().putAll(env);
        Files.createDirectories(log.toAbsolutePath().getParent());
        return new QuokkaProcess(pb.start(), log);
    }

    /** Runs {@code quokka args...} to its end and returns its exit code; fails if it takes over {@code minutes}. */
    static int run(Path log, int minutes, String... args) throws IOException, InterruptedException {
        return start(log, Map.of(), args).waitFor(minutes);
    }

    /** Runs {@code quokka args...} and fails, with its output, unless it exits with 0. */
    static void runOk(Path log, int minutes, String... args) throws IOException, InterruptedException {
        QuokkaProcess p = start(log, Map.of(), args);
        int code = p.waitFor(minutes);
        if (code != 0) throw new AssertionError("quokka " + String.join(" ", args) + " exited with " + code + ":\n" + p.output());
    }

    int waitFor(int minutes) throws IOException, InterruptedException {
        if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + minutes + " minutes: " + output());
        }
        return process.exitValue();
    }

    /** SIGKILL, as {@code kill -9}: no shutdown hooks, nothing flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
