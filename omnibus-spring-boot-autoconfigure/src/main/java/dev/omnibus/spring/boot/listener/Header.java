package dev.omnibus.spring.boot.listener;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds an {@link OmnibusListener} parameter to a message header, converted to the parameter's
 * type ({@code String}, numbers, booleans, enums, ...) by Spring's conversion service.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Header {
    /** The header name, e.g. {@code tenant} or {@code content-type}. */
    String value();

    /** When true (the default) a message without the header fails the delivery; when false the parameter is null. */
    boolean required() default true;
}
