package dev.quokka.training.nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/** What ND4J runs on here: the backend the Maven profile chose (CPU or CUDA), its BLAS and threads. */
public final class Backend {
    private Backend() {}

    public static Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("nd4j.dtype", String.valueOf(Nd4j.dataType()));
        Nd4j.getExecutioner().getEnvironmentInformation().forEach((k, v) -> {
            if (!k.equals("memoryBandwidth")) info.put("nd4j." + k, String.valueOf(v));
        });
        return info;
    }
}
