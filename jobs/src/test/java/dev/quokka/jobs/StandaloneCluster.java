package dev.quokka.jobs;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster of separate JVMs on this machine, as {@code jobs/scripts/standalone-cluster.sh} starts
 * one: a master and workers of one core, whose executors are JVMs of their own. Executors get the test's classpath
 * through {@code spark.executor.extraClassPath}; workers need a SPARK_HOME with a {@code jars} directory, which may
 * be empty then.
 */
final class StandaloneCluster implements AutoCloseable {
    private final List<QuokkaProcess> daemons = new ArrayList<>();
    private final Path dir;
    final String master;

    private StandaloneCluster(Path dir, int port) {
        this.dir = dir;
        this.master = "spark://127.0.0.1:" + port;
    }

    static StandaloneCluster start(Path dir, int workers) throws IOException, InterruptedException {
        Path home = dir.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        // The daemons log at INFO (the test's own config says WARN): the master's "Registering worker" is the signal.
        Files.writeString(dir.resolve("log4j2-daemons.properties"), """
                rootLogger.level = info
                rootLogger.appenderRef.stderr.ref = console
                appender.console.type = Console
                appender.console.name = console
                appender.console.target = SYSTEM_ERR
                appender.console.layout.type = PatternLayout
                appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
                """);
        int port = freePort();
        StandaloneCluster c = new StandaloneCluster(dir, port);
        Map<String, String> env = Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1");
        c.daemons.add(QuokkaProcess.startCommand(dir.resolve("master.log"), env, c.daemon("org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort()))));
        for (int i = 1; i <= workers; i++) {
            c.daemons.add(QuokkaProcess.startCommand(dir.resolve("worker-" + i + ".log"), env, c.daemon("org.apache.spark.deploy.worker.Worker",
                    "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--work-dir", dir.resolve("work-" + i).toString(),
                    "--webui-port", Integer.toString(freePort()), c.master)));
        }
        long deadline = System.currentTimeMillis() + 90_000;
        while (c.registered() < workers) {
            if (System.currentTimeMillis() > deadline) {
                c.close();
                throw new AssertionError("the workers did not register with the master: " + Files.readString(dir.resolve("master.log")));
            }
            Thread.sleep(200);
        }
        return c;
    }

    /** The settings a driver needs to run on this cluster, as JVM options. */
    List<String> driverOptions() {
        String flags = String.join(" ", QuokkaProcess.moduleFlags());
        return List.of("-Dspark.executor.extraClassPath=" + QuokkaProcess.classpath(), "-Dspark.executor.extraJavaOptions=" + flags,
                "-Dspark.executor.memory=1g", "-Dspark.driver.host=127.0.0.1", "-Dspark.driver.bindAddress=127.0.0.1");
    }

    /** Every executor log line of the cluster's work directories that matches. */
    List<String> executorLog(String contains) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var files = Files.walk(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                Files.readAllLines(p).stream().filter(l -> l.contains(contains)).forEach(lines::add);
            }
        }
        return lines;
    }

    private int registered() throws IOException {
        Path log = dir.resolve("master.log");
        return Files.exists(log) ? (int) Files.readAllLines(log).stream().filter(l -> l.contains("Registering worker")).count() : 0;
    }

    private List<String> daemon(String main, String... args) {
        List<String> command = new ArrayList<>(List.of(QuokkaProcess.java(), "-Xmx512m",
                "-Dlog4j2.configurationFile=" + dir.resolve("log4j2-daemons.properties")));
        command.addAll(QuokkaProcess.moduleFlags());
        command.addAll(List.of("-cp", QuokkaProcess.classpath(), main));
        command.addAll(List.of(args));
        return command;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (QuokkaProcess d : daemons) d.kill();
        // Executors outlive a killed worker for a moment; they exit once their driver and worker are gone.
    }
}
