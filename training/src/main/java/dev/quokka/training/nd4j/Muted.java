package dev.quokka.training.nd4j;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Silences System.out for one thread while it runs a call: SameDiff M2.1 prints a line per op to System.out when it
 * builds a gradient graph. Other threads (the other runs of a sweep, in local mode) keep their output.
 */
final class Muted {
    private static final ThreadLocal<Boolean> MUTED = ThreadLocal.withInitial(() -> false);
    private static boolean installed;

    private Muted() {}

    static void run(Runnable call) {
        install();
        MUTED.set(true);
        try {
            call.run();
        } finally {
            MUTED.set(false);
        }
    }

    private static synchronized void install() {
        if (installed) return;
        PrintStream out = System.out;
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                if (!MUTED.get()) out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (!MUTED.get()) out.write(b, off, len);
            }

            @Override
            public void flush() {
                out.flush();
            }
        }, true));
        installed = true;
    }
}
