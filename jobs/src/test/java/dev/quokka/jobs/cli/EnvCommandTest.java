package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.jobs.Quokka;
import dev.quokka.jobs.runtime.SparkSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Spark starts on Java 17 with the build's JVM flags, runs a job, and ND4J's CPU backend loads. */
@Tag("slow")
class EnvCommandTest {
    @AfterAll
    static void stopSpark() {
        SparkSessions.stop();
    }

    @Test
    void sparkAndNd4jStart() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Quokka.commandLine().execute("env", "--master", "local[2]");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("spark.master                 local[2]"), out);
        assertTrue(out.contains("spark job (sum 0..999999)    ok"), out);
        assertTrue(out.contains("nd4j.backend                 CPU"), out);
    }
}
