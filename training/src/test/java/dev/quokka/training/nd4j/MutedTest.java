package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** SameDiff's per-op lines never reach the console, from any thread; everything else does. */
class MutedTest {
    @Test
    void theGradientGraphsChatterIsDroppedAndTheRestPasses() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new Muted.Filter(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        out.println("Added differentiated op matmul_3");
        out.println("step 3/312  loss 7.63");
        Thread other = new Thread(() -> out.println("Added differentiated op add_1"));
        other.start();
        other.join();
        Muted.run(() -> out.print("from a muted call"));
        out.print("after it\n");
        assertEquals("step 3/312  loss 7.63" + System.lineSeparator() + "after it\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
