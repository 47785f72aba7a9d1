package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.Synthetic;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fit's report.html, opened in headless Chromium, shows every plot the fit wrote (each {@code <img>} has loaded
 * with a real size) and the fitted constants as a table. The report is served over HTTP beside a harness page that inspects it in a frame once loaded,
 * and Chromium prints the harness's DOM. Chromium is Debian's {@code chromium} (or {@code $QUOKKA_CHROMIUM});
 * without it this test is reported as skipped, with the reason, never as passed.
 */
@Tag("slow")
public class ReportInBrowserTest {
    @TempDir Path dir;

    private static final String HARNESS = """
            <!doctype html><html><body>
            <iframe id="report" src="report.html" width="1200" height="800"></iframe>
            <pre id="result">not loaded</pre>
            <script>
            document.getElementById('report').addEventListener('load', () => {
              const doc = document.getElementById('report').contentDocument;
              const images = Array.from(doc.images).map(i => ({src: i.getAttribute('src'), complete: i.complete,
                  width: i.naturalWidth, height: i.naturalHeight}));
              const rows = Array.from(doc.querySelectorAll('table tr')).map(r => r.cells.length);
              const notDrawn = Array.from(doc.querySelectorAll('p.not-drawn')).map(p => p.textContent);
              document.getElementById('result').textContent = JSON.stringify({title: doc.title, images: images, rows: rows, notDrawn: notDrawn});
            });
            </script></body></html>
            """;

    @Test
    void everyPlotOfAFitShowsInHeadlessChromium() throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "headless Chromium not found: install Debian's chromium (apt-get install chromium) "
                + "or set QUOKKA_CHROMIUM; the report's browser check did not run");

        List<FitPoint> points = Synthetic.points(Law.published("quokka-dlm"), Synthetic.logSpace(2e7, 2e9, 4),
                Synthetic.logSpace(1e8, 1e10, 3), new double[] {1, 2, 4, 8, 16, 32, 64}, 0.01, 5);
        List<String> lines = new ArrayList<>(List.of("run,objective,N,U,D,loss"));
        for (FitPoint p : points) lines.add(p.run() + ",dlm," + p.n() + "," + p.u() + "," + p.d() + "," + p.loss());
        Files.write(dir.resolve("points.csv"), lines);
        Path out = dir.resolve("fit");
        CliTest.Result fit = CliTest.run("fit", "--master", "local[2]", "--points", dir.resolve("points.csv").toString(),
                "--law", "quokka", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, fit.code(), fit.err());
        TreeSet<String> pngs = new TreeSet<>();
        try (Stream<Path> files = Files.list(out)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).forEach(pngs::add);
        }
        assertEquals(4, pngs.size(), "a Quokka fit draws four plots: " + pngs);
        JsonNode seen = openInChromium(chromium, out, Path.of("target", "report-screenshot.png").toAbsolutePath());
        TreeSet<String> shown = new TreeSet<>();
        for (JsonNode img : seen.get("images")) shown.add(img.get("src").asText());
        assertEquals(pngs, shown, "report.html shows exactly the plots the fit wrote");
        // The fit's constants show as a table (a header and one row for each of Quokka's 10 constants: value, interval
        // and what the data say), then e_opt for each of the 12 (N, U) cells (value, interval, last epoch).
        JsonNode rows = seen.get("rows");
        assertEquals(11 + 13, rows.size(), rows.toString());
        for (int i = 0; i < 11; i++) assertEquals(4, rows.get(i).asInt(), rows.toString());
        for (int i = 11; i < rows.size(); i++) assertEquals(5, rows.get(i).asInt(), rows.toString());
    }

    /**
     * Opens {@code root/report.html} in headless Chromium, checks that every image in it loaded with a real size, saves
     * a screenshot of it (for people) and returns what the harness saw: the title, the images and each table row's
     * cell count.
     */
    public static JsonNode openInChromium(String chromium, Path root, Path screenshot) throws Exception {
        Files.writeString(root.resolve("harness.html"), HARNESS);
        HttpServer server = serve(root);
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            JsonNode seen = new ObjectMapper().readTree(dumpDom(chromium, url + "/harness.html", "id=\"result\">", "</pre>"));
            for (JsonNode img : seen.get("images")) {
                assertTrue(img.get("complete").asBoolean() && img.get("width").asInt() >= 400 && img.get("height").asInt() >= 300,
                        img.get("src").asText() + " did not load in Chromium: " + img);
            }
            run(chromium, "--window-size=1000,2400", "--screenshot=" + screenshot, url + "/report.html");
            assertTrue(Files.size(screenshot) > 10_000, "the screenshot is empty");
            return seen;
        } finally {
            server.stop(0);
            Files.delete(root.resolve("harness.html"));
        }
    }

    /** Chromium from $QUOKKA_CHROMIUM or the PATH, or null. */
    public static String chromium() {
        String configured = System.getenv("QUOKKA_CHROMIUM");
        if (configured != null && !configured.isBlank()) return configured;
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(d, name))) return Path.of(d, name).toString();
            }
        }
        return null;
    }

    private static HttpServer serve(Path root) throws IOException {
        Map<String, String> types = Map.of("html", "text/html; charset=utf-8", "png", "image/png", "json", "application/json",
                "md", "text/markdown; charset=utf-8");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            boolean ok = file.startsWith(root) && Files.isRegularFile(file);
            byte[] body = ok ? Files.readAllBytes(file) : new byte[0];
            String name = file.getFileName().toString();
            exchange.getResponseHeaders().set("Content-Type", types.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream"));
            exchange.sendResponseHeaders(ok ? 200 : 404, ok ? body.length : -1);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        return server;
    }

    private static String dumpDom(String chromium, String url, String from, String to) throws Exception {
        String dom = run(chromium, "--virtual-time-budget=10000", "--dump-dom", url);
        int a = dom.indexOf(from), b = dom.indexOf(to, a);
        assertTrue(a >= 0 && b > a, "no result in Chromium's DOM:\n" + dom);
        String result = dom.substring(a + from.length(), b).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        assertTrue(result.startsWith("{"), "the harness saw no report: " + result);
        return result;
    }

    private static String run(String chromium, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + Files.createTempDirectory("chromium")));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "Chromium did not finish");
        assertEquals(0, p.exitValue(), "Chromium failed: " + command);
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
