package dev.quokka.training.nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ND4J's inference session with {@link RecyclingMemory}: it tells the memory when one graph run is over, and which
 * arrays that run handed to its caller. Bound for every graph by {@link OpFixes#install}.
 */
final class RecyclingSession extends InferenceSession {
    private final RecyclingMemory memory = new RecyclingMemory();
    private List<INDArray> handedOut = List.of();

    RecyclingSession(SameDiff sameDiff) {
        super(sameDiff);
        setMmgr(memory);
    }

    @Override
    protected Map<String, INDArray> preprocessPlaceholders(Map<String, INDArray> placeholders, At at) {
        memory.runOver(handedOut); // a session's runs do not overlap: the previous one is over
        handedOut = List.of();
        return super.preprocessPlaceholders(placeholders, at);
    }

    @Override
    protected Map<String, SDValue> postProcessOutputValues(Map<String, SDValue> output) {
        Map<String, SDValue> out = super.postProcessOutputValues(output);
        List<INDArray> arrays = new ArrayList<>();
        for (SDValue v : out.values()) {
            if (v == null) continue;
            if (v.getTensorValue() != null) arrays.add(v.getTensorValue());
            if (v.getListValue() != null) arrays.addAll(v.getListValue());
            if (v.getDictValue() != null) arrays.addAll(v.getDictValue().values());
        }
        handedOut = arrays;
        return out;
    }
}
