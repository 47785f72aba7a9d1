package dev.quokka.training;

/** Learning rate by step: linear warmup, then cosine decay, or warmup-stable-decay (WSD). */
public interface LrSchedule {
    double at(long step);

    /** Linear warmup to {@code peak}, then cosine decay to {@code min} at {@code total}; {@code min} after it. */
    static LrSchedule cosine(double peak, double min, long warmup, long total) {
        check(peak, min, warmup, total);
        return step -> {
            if (step < warmup) return peak * (step + 1) / warmup;
            if (step >= total) return min;
            double progress = (double) (step - warmup) / Math.max(1, total - warmup);
            return min + (peak - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /** How WSD decays. */
    enum Decay { LINEAR, EXPONENTIAL }

    /**
     * Linear warmup, {@code peak} until {@code decayStart}, then a decay to {@code min} at {@code total}: linear, or
     * exponential (geometric from peak to min). Quokka's data-constrained runs use it and evaluate at every epoch.
     */
    static LrSchedule wsd(double peak, double min, long warmup, long decayStart, long total, Decay decay) {
        check(peak, min, warmup, total);
        if (decayStart < warmup || decayStart > total) throw new IllegalArgumentException("decay must start between warmup and the end");
        if (decay == Decay.EXPONENTIAL && min <= 0) throw new IllegalArgumentException("an exponential decay needs a positive minimum");
        return step -> {
            if (step < warmup) return peak * (step + 1) / warmup;
            if (step < decayStart) return peak;
            if (step >= total) return min;
            double progress = (double) (step - decayStart) / Math.max(1, total - decayStart);
            return decay == Decay.LINEAR ? peak + (min - peak) * progress : peak * Math.pow(min / peak, progress);
        };
    }

    private static void check(double peak, double min, long warmup, long total) {
        if (!(peak > 0) || min < 0 || min > peak) throw new IllegalArgumentException("need 0 <= min <= peak, peak > 0");
        if (warmup < 0 || total <= 0 || warmup > total) throw new IllegalArgumentException("need 0 <= warmup <= total");
    }
}
