package dev.omnibus.broker;

/**
 * A pair of interceptors that belong together — one around handlers, one around publishes — such
 * as metrics or tracing. {@link #instrument(BrokerOptions.Builder)} registers both on a broker.
 */
public interface Instrumentation {
    /** The interceptor around every handler call. */
    HandlerInterceptor handlerInterceptor();

    /** The interceptor around every publish and publishAsync. */
    PublishInterceptor publishInterceptor();

    /** Adds both interceptors to {@code options} (after any added before) and returns it. */
    default BrokerOptions.Builder instrument(BrokerOptions.Builder options) {
        return options.interceptor(handlerInterceptor()).publishInterceptor(publishInterceptor());
    }
}
