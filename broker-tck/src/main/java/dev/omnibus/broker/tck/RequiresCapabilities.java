package dev.omnibus.broker.tck;

import dev.omnibus.broker.Capability;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The capabilities every test of a kit group needs: where the backend lacks one, each test of the
 * group is skipped with the capability named. Read by {@link KitGroup} before each test and by the
 * catalogue ({@code BEHAVIOURS.md}).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface RequiresCapabilities {
    Capability[] value();
}
