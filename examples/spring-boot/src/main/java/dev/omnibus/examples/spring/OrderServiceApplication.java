package dev.omnibus.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small order service on the Omnibus starter. It compiles against broker-api only; the broker
 * is {@code omnibus.broker.url} (memory: by default, see application.properties).
 */
@SpringBootApplication
public class OrderServiceApplication {
    /** Runs the service; with {@code orders.demo=true} (the default) it places one order, asks a price, and exits. */
    public static void main(String[] args) {
        SpringApplication.run(OrderServiceApplication.class, args);
    }
}
