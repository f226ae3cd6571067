package dev.omnibus.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base for command-line tests: captures what commands print on stdout and stderr. */
public abstract class CapturedStdout {
    protected final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    protected final StringWriter err = new StringWriter();
    private PrintStream originalOut;

    @BeforeEach
    protected void captureStdout() {
        originalOut = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    protected void restoreStdout() {
        System.setOut(originalOut);
    }

    protected PrintWriter outWriter() {
        return new PrintWriter(new PrintStream(stdout, true, StandardCharsets.UTF_8), true);
    }

    protected PrintWriter errWriter() {
        return new PrintWriter(err, true);
    }

    protected String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }
}
