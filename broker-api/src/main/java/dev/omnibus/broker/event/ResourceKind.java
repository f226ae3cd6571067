package dev.omnibus.broker.event;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names a resource kind for {@link ResourceEvents} topics ({@code resource.<kind>.created}); without
 * it the kind is the simple class name in lower case. A kind is one topic token: letters, digits,
 * '-' and '_'.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ResourceKind {
    String value();
}
