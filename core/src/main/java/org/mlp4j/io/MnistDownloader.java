package org.mlp4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipException;

/**
 * Downloads the four MNIST files into a cache directory, verifying each one, so that {@link Mnist#load(Path)}
 * can read them.
 *
 * <p>For each file, {@link #ensure()} first checks the cached copy ({@code NAME} or {@code NAME.gz}); if it is
 * missing or fails verification it downloads {@code NAME.gz} from each mirror in turn until one verifies. A
 * corrupt uncompressed {@code NAME} is deleted, since {@link Mnist#load(Path)} would prefer it over the
 * {@code .gz}. A
 * download is streamed to a temporary file in the cache directory and only renamed into place after it has been
 * verified, so the cache never holds a partial or corrupt file.
 *
 * <p>Verification uses the SHA-256 and length of the <em>decompressed</em> IDX content rather than of the
 * {@code .gz} bytes: mirrors and local copies are known to differ in their gzip encoding while holding the same
 * data, and checking the content accepts all of them while still rejecting any wrong or damaged file.
 *
 * <p>Proxy: Java's own settings ({@code -Dhttps.proxyHost}, {@code -Djava.net.useSystemProxies}) apply when
 * set; otherwise the {@code https_proxy} / {@code HTTPS_PROXY} environment variable ({@code http://host:port},
 * as curl and pip read it; credentials in it are not supported) is used, with {@code no_proxy} /
 * {@code NO_PROXY} honoured by exact host or domain suffix.
 */
public final class MnistDownloader {
    /** Mirrors tried in order. */
    public static final List<URI> DEFAULT_MIRRORS = List.of(
            URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/"));

    /** Receives download progress, on the downloading thread. */
    @FunctionalInterface
    public interface DownloadProgress {
        /**
         * Called as bytes arrive.
         *
         * @param file  the file's name ({@code NAME.gz})
         * @param bytes bytes received so far
         * @param total the declared length, or -1 when the server did not send one
         */
        void update(String file, long bytes, long total);
    }

    /** SHA-256 (hex) and length of a file's decompressed content. */
    record Expected(String sha256, long length) {
    }

    /** The real MNIST content, by base file name (the IDX bytes of the standard files). */
    static final Map<String, Expected> MNIST;

    static {
        Map<String, Expected> m = new LinkedHashMap<>();
        m.put("train-images-idx3-ubyte",
                new Expected("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016));
        m.put("train-labels-idx1-ubyte",
                new Expected("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008));
        m.put("t10k-images-idx3-ubyte",
                new Expected("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016));
        m.put("t10k-labels-idx1-ubyte",
                new Expected("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008));
        MNIST = Map.copyOf(m);
    }

    /** Largest download accepted; the biggest real file is under 10 MiB compressed. */
    static final long MAX_DOWNLOAD_BYTES = 64L * 1024 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);

    private final Path cacheDir;
    private final List<URI> mirrors;
    private final Map<String, Expected> expected;
    private final Duration downloadTimeout;
    private final HttpClient client;

    /**
     * Downloads from {@link #DEFAULT_MIRRORS} into {@code cacheDir}.
     *
     * @param cacheDir where the files are kept, created by {@link #ensure()} if missing
     */
    public MnistDownloader(Path cacheDir) {
        this(cacheDir, DEFAULT_MIRRORS);
    }

    /**
     * Downloads from the given mirrors (base URLs to which the file names are appended, tried in order) into
     * {@code cacheDir}.
     *
     * @param cacheDir where the files are kept, created by {@link #ensure()} if missing
     * @param mirrors  the mirrors' base URLs, at least one
     * @throws IllegalArgumentException if there are no mirrors or one is not an absolute http(s) URL
     */
    public MnistDownloader(Path cacheDir, List<URI> mirrors) {
        this(cacheDir, mirrors, MNIST, DOWNLOAD_TIMEOUT);
    }

    /** For tests: other expected contents and a shorter per-download time limit. */
    MnistDownloader(Path cacheDir, List<URI> mirrors, Map<String, Expected> expected, Duration downloadTimeout) {
        this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(mirrors, "mirrors");
        if (mirrors.isEmpty()) {
            throw new IllegalArgumentException("mirrors: expected at least one base URL, got none");
        }
        List<URI> normalized = new ArrayList<>();
        for (URI m : mirrors) {
            Objects.requireNonNull(m, "mirror");
            String scheme = m.getScheme() == null ? "" : m.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!m.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || m.getHost() == null) {
                throw new IllegalArgumentException("mirrors: expected an absolute http or https URL, got " + m);
            }
            // resolve() would drop the last path segment of a base without a trailing slash.
            normalized.add(m.toString().endsWith("/") ? m : URI.create(m + "/"));
        }
        this.mirrors = List.copyOf(normalized);
        this.expected = Map.copyOf(expected);
        this.downloadTimeout = Objects.requireNonNull(downloadTimeout, "downloadTimeout");
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT.compareTo(downloadTimeout) < 0 ? CONNECT_TIMEOUT : downloadTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL); // never from https to http
        ProxySelector proxy = environmentProxy(System.getenv(), this.mirrors);
        if (proxy != null) {
            b.proxy(proxy);
        }
        this.client = b.build();
    }

    /**
     * The cache directory.
     *
     * @return the directory given to the constructor
     */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Makes sure all four MNIST files are in the cache directory (creating it if needed) and verified,
     * downloading the missing or corrupt ones.
     *
     * @return the cache directory, ready for {@link Mnist#load(Path)}
     * @throws IOException if a file could not be obtained from any mirror; the message lists each mirror's
     *                     failure
     */
    public Path ensure() throws IOException {
        return ensure((file, bytes, total) -> { });
    }

    /**
     * {@link #ensure()}, reporting the progress of each download to {@code progress}.
     *
     * @param progress receives each download's byte counts
     * @return the cache directory, ready for {@link Mnist#load(Path)}
     * @throws IOException if a file could not be obtained from any mirror
     */
    public Path ensure(DownloadProgress progress) throws IOException {
        Objects.requireNonNull(progress, "progress");
        Files.createDirectories(cacheDir);
        for (String name : Mnist.FILE_NAMES) {
            Expected want = expected.get(name);
            if (want == null) {
                throw new IllegalStateException("no expected checksum for " + name);
            }
            ensureFile(name, want, progress);
        }
        return cacheDir;
    }

    /**
     * {@link #ensure()} then {@link Mnist#load(Path)}.
     *
     * @return the MNIST training and test sets
     * @throws IOException if a file could not be obtained from any mirror, or is malformed
     */
    public Mnist load() throws IOException {
        return Mnist.load(ensure());
    }

    private void ensureFile(String name, Expected want, DownloadProgress progress) throws IOException {
        Path raw = cacheDir.resolve(name);
        Path gz = cacheDir.resolve(name + ".gz");
        if (isValid(raw, want)) {
            return;
        }
        // Mnist.load prefers the uncompressed name, so a corrupt one must not shadow a good .gz.
        Files.deleteIfExists(raw);
        if (isValid(gz, want)) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (URI mirror : mirrors) {
            URI url = mirror.resolve(name + ".gz");
            try {
                download(url, gz, want, progress);
                return;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                failures.add(url + ": " + describe(e));
            }
        }
        StringBuilder msg = new StringBuilder("could not download " + name + ".gz into " + cacheDir + ":");
        for (String f : failures) {
            msg.append("\n  ").append(f);
        }
        msg.append("\nDownload the four MNIST files (").append(String.join(", ", Mnist.FILE_NAMES))
                .append(", each optionally .gz) yourself and pass --data DIR with the directory holding them.");
        throw new IOException(msg.toString());
    }

    /** Whether {@code file} exists and holds the expected content; corrupt or stale copies are not. */
    private static boolean isValid(Path file, Expected want) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try {
            verify(file, want);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void download(URI url, Path target, Expected want, DownloadProgress progress) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(downloadTimeout).GET().build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while downloading " + url);
        }
        AtomicBoolean finished = new AtomicBoolean();
        AtomicBoolean timedOut = new AtomicBoolean();
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("HTTP status " + response.statusCode() + " (expected 200)");
            }
            long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > MAX_DOWNLOAD_BYTES) {
                throw new IOException("Content-Length " + declared + " exceeds the limit of " + MAX_DOWNLOAD_BYTES
                        + " bytes");
            }
            // The request timeout only covers the response headers; a body that stalls is cut off here.
            CompletableFuture.delayedExecutor(downloadTimeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (!finished.get()) {
                    timedOut.set(true);
                    try {
                        response.body().close(); // unblocks a read that waits for data
                    } catch (IOException ignored) {
                        // closing only to unblock the reader
                    }
                }
            });
            AtomicFiles.write(target, ch -> {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = readBody(body, buf, timedOut)) > 0; ) {
                    total += n;
                    if (total > MAX_DOWNLOAD_BYTES) {
                        throw new IOException("body exceeds the limit of " + MAX_DOWNLOAD_BYTES + " bytes");
                    }
                    progress.update(target.getFileName().toString(), total, declared);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                }
                if (timedOut.get()) {
                    throw timeout();
                }
                if (declared >= 0 && total != declared) {
                    throw new IOException("truncated: received " + total + " of " + declared + " bytes");
                }
            }, temp -> verify(temp, want));
        } finally {
            finished.set(true);
        }
    }

    /**
     * The proxy named by {@code https_proxy}/{@code HTTPS_PROXY} (the lower-case name first, as curl reads it),
     * or null when Java's proxy properties are set, the variable is unset, or every mirror is excluded by
     * {@code no_proxy}/{@code NO_PROXY}.
     *
     * @throws IllegalArgumentException if the variable is not a {@code http://host[:port]} URL
     */
    static ProxySelector environmentProxy(Map<String, String> env, List<URI> mirrors) {
        if (System.getProperty("https.proxyHost") != null || Boolean.getBoolean("java.net.useSystemProxies")) {
            return null;
        }
        String name = env.get("https_proxy") != null ? "https_proxy" : "HTTPS_PROXY";
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(value.contains("://") ? value.trim() : "http://" + value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": expected a proxy URL such as http://proxy:3128, got '"
                    + value + "'");
        }
        if (uri.getHost() == null || !"http".equalsIgnoreCase(uri.getScheme()) || uri.getUserInfo() != null) {
            throw new IllegalArgumentException(name + ": expected a proxy URL http://host[:port] (no credentials), "
                    + "got '" + value + "'");
        }
        String noProxy = env.get("no_proxy") != null ? env.get("no_proxy") : env.getOrDefault("NO_PROXY", "");
        boolean anyProxied = false;
        for (URI m : mirrors) {
            anyProxied |= !excluded(m.getHost(), noProxy);
        }
        if (!anyProxied) {
            return null;
        }
        InetSocketAddress address = InetSocketAddress.createUnresolved(uri.getHost(),
                uri.getPort() > 0 ? uri.getPort() : 80);
        ProxySelector proxied = ProxySelector.of(address);
        return new ProxySelector() {
            @Override
            public List<java.net.Proxy> select(URI u) {
                return excluded(u.getHost(), noProxy) ? List.of(java.net.Proxy.NO_PROXY) : proxied.select(u);
            }

            @Override
            public void connectFailed(URI u, java.net.SocketAddress sa, IOException ioe) {
                // the download reports the failure itself
            }
        };
    }

    /** Whether {@code host} matches a {@code no_proxy} entry ({@code *}, a host, or a domain suffix). */
    private static boolean excluded(String host, String noProxy) {
        if (host == null) {
            return false;
        }
        for (String e : noProxy.split(",")) {
            String entry = e.trim().toLowerCase(java.util.Locale.ROOT);
            if (entry.startsWith(".")) {
                entry = entry.substring(1);
            }
            if (entry.equals("*") || (!entry.isEmpty() && (host.equalsIgnoreCase(entry)
                    || host.toLowerCase(java.util.Locale.ROOT).endsWith("." + entry)))) {
                return true;
            }
        }
        return false;
    }

    private int readBody(InputStream body, byte[] buf, AtomicBoolean timedOut) throws IOException {
        try {
            return body.read(buf);
        } catch (IOException e) {
            if (timedOut.get()) {
                throw timeout();
            }
            throw new IOException("connection failed while receiving the body (truncated download?): " + e, e);
        }
    }

    private static String describe(IOException e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof java.net.ConnectException ? "cannot connect (" + msg + ")" : msg;
    }

    private IOException timeout() {
        return new IOException("download took longer than " + downloadTimeout.toSeconds() + " s; gave up");
    }

    /**
     * Checks that a file (raw or gzip) decompresses to the expected content.
     *
     * @throws IOException with a message saying what differs
     */
    static void verify(Path file, Expected want) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
        long length = 0;
        try (InputStream in = Idx.open(file)) {
            byte[] buf = new byte[1 << 16];
            // Stop just past the expected length: a hostile gzip could expand without bound.
            for (int n; length <= want.length && (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                length += n;
            }
        } catch (EOFException | ZipException e) {
            throw new IOException("corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
        if (length != want.length) {
            throw new IOException("content length " + (length > want.length ? "more than " + want.length : length)
                    + " bytes, expected " + want.length);
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(want.sha256)) {
            throw new IOException("checksum mismatch: content SHA-256 " + got + ", expected " + want.sha256);
        }
    }
}
