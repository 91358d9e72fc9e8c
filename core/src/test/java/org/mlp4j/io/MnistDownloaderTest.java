package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs against a loopback HTTP server only; never touches the network. */
class MnistDownloaderTest {
    @TempDir
    Path cache;

    private HttpServer server;
    private ServerSocket truncServer;
    private ExecutorService executor;
    private final CountDownLatch release = new CountDownLatch(1);
    /** Paths requested, in order. */
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    /** Small valid IDX contents standing in for the four MNIST files, by base name. */
    private final Map<String, byte[]> content = new HashMap<>();
    private final Map<String, MnistDownloader.Expected> expected = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        byte[] pixels = {0, 127, (byte) 255, 10, 20, 30, 40, 50};
        content.put("train-images-idx3-ubyte", IdxTest.idx(0x08, new int[] {2, 2, 2}, pixels));
        content.put("train-labels-idx1-ubyte", IdxTest.idx(0x08, new int[] {2}, new byte[] {7, 3}));
        content.put("t10k-images-idx3-ubyte", IdxTest.idx(0x08, new int[] {1, 2, 2}, new byte[] {1, 2, 3, 4}));
        content.put("t10k-labels-idx1-ubyte", IdxTest.idx(0x08, new int[] {1}, new byte[] {9}));
        for (Map.Entry<String, byte[]> e : content.entrySet()) {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue()));
            expected.put(e.getKey(), new MnistDownloader.Expected(sha, e.getValue().length));
        }

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/good/", ex -> serve(ex, gz(ex)));
        server.createContext("/bad/", ex -> { // a valid gzip holding other data
            byte[] wrong = content.get(base(ex)).clone();
            wrong[wrong.length - 1] ^= 1;
            serve(ex, IdxTest.gzip(wrong));
        });
        server.createContext("/missing/", ex -> {
            requests.add(ex.getRequestURI().getPath());
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.createContext("/stall/", ex -> { // sends headers and half the body, then hangs
            requests.add(ex.getRequestURI().getPath());
            byte[] body = gz(ex);
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
        startTruncatingServer();
    }

    /**
     * A raw socket server for {@code /trunc/}: it declares the full Content-Length, sends half the body and closes
     * the connection (HttpServer cannot be made to drop a connection like that).
     */
    private void startTruncatingServer() throws IOException {
        truncServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!truncServer.isClosed()) {
                try (Socket s = truncServer.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    String path = in.readLine().split(" ")[1];
                    while (!in.readLine().isEmpty()) {
                        // skip request headers
                    }
                    requests.add(path);
                    byte[] body = IdxTest.gzip(content.get(path.substring(path.lastIndexOf('/') + 1)
                            .replaceFirst("\\.gz$", "")));
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body, 0, body.length / 2);
                    out.flush();
                } catch (IOException | RuntimeException e) {
                    // closed at the end of the test, or a client gave up: keep serving until closed
                }
            }
        }, "truncating-server");
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
        try {
            truncServer.close();
        } catch (IOException ignored) {
            // nothing left to clean up
        }
    }

    // ---------------------------------------------------------------------------------------------- cases

    @Test
    void downloadsMissingFilesAndThenUsesTheCache() throws IOException {
        MnistDownloader d = downloader(mirror("good"));
        assertEquals(cache, d.ensure());
        assertEquals(4, requests.size());
        for (String name : Mnist.FILE_NAMES) {
            assertTrue(requests.contains("/good/" + name + ".gz"), requests::toString);
            assertArrayEquals(IdxTest.gzip(content.get(name)), Files.readAllBytes(cache.resolve(name + ".gz")));
        }
        Mnist m = d.load(); // verifies again, no new requests
        assertEquals(4, requests.size());
        assertArrayEquals(new float[] {7f, 3f}, m.train().targets());
        assertEquals(1f, m.train().features()[2]);
        assertArrayEquals(new float[] {9f}, m.test().targets());
        assertCacheHoldsOnly(4);
    }

    @Test
    void downloadsReportProgressPerFile() throws IOException {
        List<String> seen = new java.util.ArrayList<>();
        downloader(mirror("good")).ensure((file, bytes, total) -> {
            assertTrue(bytes > 0 && (total < 0 || bytes <= total), bytes + " of " + total);
            if (!seen.contains(file)) {
                seen.add(file);
            }
        });
        assertEquals(Mnist.FILE_NAMES.stream().map(n -> n + ".gz").toList(), seen);
    }

    @Test
    void httpsProxyComesFromTheEnvironment() {
        List<URI> mirrors = MnistDownloader.DEFAULT_MIRRORS;
        assertNull(MnistDownloader.environmentProxy(Map.of(), mirrors));
        java.net.ProxySelector p = MnistDownloader.environmentProxy(Map.of("HTTPS_PROXY", "http://proxy.example:3128"),
                mirrors);
        assertNotNull(p);
        java.net.Proxy chosen = p.select(mirrors.get(0)).get(0);
        assertEquals(java.net.Proxy.Type.HTTP, chosen.type());
        assertEquals("proxy.example:3128", ((InetSocketAddress) chosen.address()).getHostString() + ":"
                + ((InetSocketAddress) chosen.address()).getPort());
        // The lower-case name wins, as curl reads it; no scheme means http.
        java.net.ProxySelector lower = MnistDownloader.environmentProxy(Map.of("https_proxy", "low:8080",
                "HTTPS_PROXY", "http://up:1"), mirrors);
        assertEquals(8080, ((InetSocketAddress) lower.select(mirrors.get(0)).get(0).address()).getPort());
        // no_proxy excludes by host or domain suffix.
        assertNull(MnistDownloader.environmentProxy(Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY",
                ".amazonaws.com,storage.googleapis.com"), mirrors));
        java.net.ProxySelector some = MnistDownloader.environmentProxy(Map.of("HTTPS_PROXY", "http://p:1",
                "no_proxy", "amazonaws.com"), mirrors);
        assertEquals(java.net.Proxy.NO_PROXY, some.select(mirrors.get(0)).get(0));
        assertEquals(java.net.Proxy.Type.HTTP, some.select(mirrors.get(1)).get(0).type());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> MnistDownloader.environmentProxy(Map.of("HTTPS_PROXY", "http://user:pw@p:1"), mirrors));
        assertTrue(bad.getMessage().startsWith("HTTPS_PROXY:"), bad.getMessage());
    }

    @Test
    void wrongChecksumFallsBackToNextMirror() throws IOException {
        downloader(mirror("bad"), mirror("good")).ensure();
        assertEquals(8, requests.size());
        assertTrue(requests.contains("/bad/train-images-idx3-ubyte.gz"));
        assertEquals(2, Mnist.load(cache).train().size());
        assertCacheHoldsOnly(4);
    }

    @Test
    void truncatedDownloadFallsBackToNextMirror() throws IOException {
        downloader(mirror("trunc"), mirror("good")).ensure();
        assertEquals(8, requests.size());
        assertEquals(2, Mnist.load(cache).train().size());
        assertCacheHoldsOnly(4);
    }

    @Test
    void allMirrorsFailingIsAClearError() throws IOException {
        URI missing = mirror("missing");
        URI bad = mirror("bad");
        URI trunc = mirror("trunc");
        IOException e = assertThrows(IOException.class, () -> downloader(missing, bad, trunc).ensure());
        String msg = e.getMessage();
        assertTrue(msg.contains("could not download train-images-idx3-ubyte.gz into " + cache), msg);
        assertTrue(msg.contains(missing + "train-images-idx3-ubyte.gz: HTTP status 404"), msg);
        assertTrue(msg.contains(bad + "train-images-idx3-ubyte.gz: checksum mismatch"), msg);
        assertTrue(msg.contains(trunc + "train-images-idx3-ubyte.gz: "), msg);
        assertTrue(msg.contains("truncated"), msg);
        assertTrue(msg.contains("--data DIR"), msg);
        assertCacheHoldsOnly(0); // no partial or unverified file left behind
    }

    @Test
    void serverDownIsAClearError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI closed = URI.create("http://127.0.0.1:" + port + "/mnist");
        IOException e = assertThrows(IOException.class, () -> downloader(closed).ensure());
        assertTrue(e.getMessage().contains("http://127.0.0.1:" + port + "/mnist/train-images-idx3-ubyte.gz: cannot"
                + " connect"), e.getMessage());
        assertTrue(e.getMessage().contains("--data DIR"), e.getMessage());
        assertCacheHoldsOnly(0);
    }

    @Test
    void stalledDownloadTimesOut() throws IOException {
        MnistDownloader d = new MnistDownloader(cache, List.of(mirror("stall")), expected, Duration.ofSeconds(1));
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, d::ensure);
        assertTrue(e.getMessage().contains("took longer than 1 s"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
        assertCacheHoldsOnly(0);
    }

    @Test
    void corruptCachedFileIsReplaced() throws IOException {
        downloader(mirror("good")).ensure();
        requests.clear();
        Path labels = cache.resolve("train-labels-idx1-ubyte.gz");
        Files.write(labels, IdxTest.gzip(new byte[] {0, 0, 8, 1, 0, 0, 0, 2, 7, 4})); // valid IDX, wrong labels
        Path rawImages = cache.resolve("t10k-images-idx3-ubyte"); // a corrupt raw copy would shadow the .gz
        Files.write(rawImages, new byte[] {1, 2, 3});

        downloader(mirror("good")).ensure();
        assertEquals(List.of("/good/train-labels-idx1-ubyte.gz"), requests);
        assertArrayEquals(new float[] {7f, 3f}, Mnist.load(cache).train().targets());
        assertTrue(Files.notExists(rawImages));
        assertCacheHoldsOnly(4);
    }

    @Test
    void validRawCachedFileIsAccepted() throws IOException {
        for (String name : Mnist.FILE_NAMES) {
            Files.write(cache.resolve(name), content.get(name));
        }
        downloader(mirror("missing")).ensure();
        assertEquals(List.of(), requests);
    }

    @Test
    void builtInChecksumsMatchTheRealMnist() throws IOException {
        // The copy bundled with the repository (data/mnist, relative to this module) is the real MNIST.
        Path real = Path.of("..", "data", "mnist");
        Assumptions.assumeTrue(Files.isDirectory(real), "bundled MNIST not found at " + real.toAbsolutePath());
        for (String name : Mnist.FILE_NAMES) {
            Files.copy(real.resolve(name + ".gz"), cache.resolve(name + ".gz"));
        }
        // All four verify against the hard-coded values, so no mirror is contacted.
        new MnistDownloader(cache, List.of(mirror("missing"))).ensure();
        assertEquals(List.of(), requests);
    }

    @Test
    void rejectsBadMirrorLists() {
        assertThrows(IllegalArgumentException.class, () -> new MnistDownloader(cache, List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MnistDownloader(cache, List.of(URI.create("ftp://example.org/mnist/"))));
        assertTrue(e.getMessage().contains("ftp://example.org/mnist/"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MnistDownloader(cache, List.of(URI.create("mnist/"))));
    }

    // --------------------------------------------------------------------------------------------- helpers

    private MnistDownloader downloader(URI... mirrors) {
        return new MnistDownloader(cache, List.of(mirrors), expected, Duration.ofSeconds(20));
    }

    private URI mirror(String path) {
        int port = path.equals("trunc") ? truncServer.getLocalPort() : server.getAddress().getPort();
        return URI.create("http://127.0.0.1:" + port + "/" + path + "/");
    }

    private String base(HttpExchange ex) {
        String p = ex.getRequestURI().getPath();
        return p.substring(p.lastIndexOf('/') + 1).replaceFirst("\\.gz$", "");
    }

    private byte[] gz(HttpExchange ex) throws IOException {
        return IdxTest.gzip(content.get(base(ex)));
    }

    private void serve(HttpExchange ex, byte[] body) throws IOException {
        requests.add(ex.getRequestURI().getPath());
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private void assertCacheHoldsOnly(int files) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            List<Path> all = s.toList();
            assertEquals(files, all.size(), all::toString);
            assertTrue(all.stream().allMatch(p -> p.getFileName().toString().endsWith(".gz")), all::toString);
        }
    }
}
