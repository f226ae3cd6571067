package dev.omnibus.broker.event;

/**
 * Something happened to a resource: it was {@link Created}, {@link Updated} or {@link Deleted}.
 * Switch over the three with a pattern match; the hierarchy is sealed.
 *
 * @param <T> the resource type
 */
public sealed interface ResourceEvent<T> permits ResourceEvent.Created, ResourceEvent.Updated, ResourceEvent.Deleted {
    /** The resource as it is after the event (the deleted resource for {@link Deleted}). */
    T resource();

    /** A resource was created. */
    record Created<T>(T resource) implements ResourceEvent<T> {
    }

    /** A resource changed from {@code oldResource} to {@code newResource}. */
    record Updated<T>(T oldResource, T newResource) implements ResourceEvent<T> {
        @Override
        public T resource() {
            return newResource;
        }
    }

    /** A resource was deleted. */
    record Deleted<T>(T resource) implements ResourceEvent<T> {
    }
}
