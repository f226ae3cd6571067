package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.omnibus.broker.spi.BrokerProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Discovery against the two test providers alpha and beta registered in src/test/resources. */
@DisplayName("Brokers discovery")
class BrokersTest {
    private String savedProperty;

    @BeforeEach
    void saveProperty() {
        savedProperty = System.getProperty(Brokers.URL_PROPERTY);
        System.clearProperty(Brokers.URL_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty(Brokers.URL_PROPERTY);
        } else {
            System.setProperty(Brokers.URL_PROPERTY, savedProperty);
        }
    }

    @Test
    @DisplayName("providers() finds both test providers, sorted by name")
    void providersSorted() {
        assertThat(Brokers.providers()).extracting(BrokerProvider::name).containsExactly("alpha", "beta");
    }

    @Test
    @DisplayName("create picks the provider by URL scheme, case-insensitively, and returns a disconnected broker")
    void createByScheme() {
        Broker a = Brokers.create("alpha://host:1");
        Broker b = Brokers.create("BETA://host:2");
        Broker bs = Brokers.create(BrokerOptions.of("betas://host:3"));
        assertThat(a.name()).isEqualTo("alpha");
        assertThat(b.name()).isEqualTo("beta");
        assertThat(bs.name()).isEqualTo("beta");
        assertThat(a.isConnected()).isFalse();
        assertThat(a.options().url()).isEqualTo("alpha://host:1");
        assertThat(Brokers.provider("ALPHA")).isInstanceOf(AlphaTestProvider.class);
    }

    @Test
    @DisplayName("an unknown scheme fails naming the scheme, every available scheme and every provider")
    void unknownScheme() {
        assertThatThrownBy(() -> Brokers.create("gamma://user:topsecret@host:3"))
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("scheme 'gamma'")
                .hasMessageContaining("schemes on the classpath: alpha, beta, betas")
                .hasMessageContaining("alpha [alpha] from " + AlphaTestProvider.class.getName())
                .hasMessageContaining("beta [beta, betas] from " + BetaTestProvider.class.getName())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("topsecret"));
        assertThatThrownBy(() -> Brokers.provider("gamma"))
                .isInstanceOf(ProviderNotFoundException.class).hasMessageContaining("'gamma:'");
    }

    @Test
    @DisplayName("a null URL or options is a NullPointerException, a URL without scheme an IllegalArgumentException")
    void badArguments() {
        assertThatThrownBy(() -> Brokers.create((String) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Brokers.create((BrokerOptions) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Brokers.create("localhost")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("fromEnvironment with two providers and no URL fails naming both providers and both ways to set a URL")
    void fromEnvironmentAmbiguous() {
        assumeTrue(System.getenv(Brokers.URL_ENV) == null, "OMNIBUS_BROKER_URL is set in this environment");
        assertThat(Brokers.configuredUrl()).isNull();
        assertThatThrownBy(Brokers::fromEnvironment)
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("alpha [alpha]")
                .hasMessageContaining("beta [beta, betas]")
                .hasMessageContaining("OMNIBUS_BROKER_URL")
                .hasMessageContaining("omnibus.broker.url")
                .hasMessageContaining("alpha://localhost:1");
    }

    @Test
    @DisplayName("a blank system property counts as unset")
    void blankPropertyIgnored() {
        assumeTrue(System.getenv(Brokers.URL_ENV) == null, "OMNIBUS_BROKER_URL is set in this environment");
        System.setProperty(Brokers.URL_PROPERTY, "   ");
        assertThat(Brokers.configuredUrl()).isNull();
        assertThatThrownBy(Brokers::fromEnvironment).isInstanceOf(ProviderNotFoundException.class);
    }

    @Test
    @DisplayName("fromEnvironment with -Domnibus.broker.url picks the provider by that URL's scheme")
    void fromEnvironmentWithProperty() {
        System.setProperty(Brokers.URL_PROPERTY, " beta://configured:9 ");
        assertThat(Brokers.configuredUrl()).isEqualTo("beta://configured:9");
        Broker b = Brokers.fromEnvironment();
        assertThat(b.name()).isEqualTo("beta");
        assertThat(b.options().url()).isEqualTo("beta://configured:9");

        System.setProperty(Brokers.URL_PROPERTY, "alpha://other:8");
        assertThat(Brokers.fromEnvironment().name()).isEqualTo("alpha");
    }

    @Test
    @DisplayName("fromEnvironment with a configured URL of an unknown scheme fails like create")
    void fromEnvironmentUnknownScheme() {
        System.setProperty(Brokers.URL_PROPERTY, "gamma://x");
        assertThatThrownBy(Brokers::fromEnvironment)
                .isInstanceOf(ProviderNotFoundException.class).hasMessageContaining("scheme 'gamma'");
    }

    @Test
    @DisplayName("an undeclared property fails at create naming it, the broker (password masked), the likely name and every valid one")
    void unknownProperty() {
        assertThatThrownBy(() -> Brokers.create("beta://user:topsecret@host:2?flavor=sweet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'flavor' for the beta broker at beta://user:***@host:2?flavor=sweet;"
                        + " did you mean 'flavour'?; valid names: depth, flavour");
        assertThatThrownBy(() -> Brokers.create(BrokerOptions.builder().url("beta://host").property("colour", "x").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'colour' for the beta broker at beta://host; valid names: depth, flavour");
        assertThat(Brokers.create("beta://host?flavour=sweet&depth=3").options().properties()).containsKeys("flavour", "depth");
    }

    @Test
    @DisplayName("a provider that declares no properties (the SPI default) gets every property unchecked")
    void undeclaredPropertiesUnchecked() {
        assertThat(new AlphaTestProvider().properties()).isEmpty();
        assertThat(Brokers.create("alpha://host?anything=goes").options().property("anything", null)).isEqualTo("goes");
    }

    @Test
    @DisplayName("every URL must belong to the provider of the first: its other schemes are fine, another provider's are not")
    void urlsOfOneProvider() {
        assertThat(Brokers.create("beta://a:1,betas://b:2").options().urls()).hasSize(2);
        assertThatThrownBy(() -> Brokers.create("beta://u:pw1@a:1,alpha://u:pw2@b:2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("all URLs of one broker must belong to one backend, got 'beta://u:***@a:1' (beta)"
                        + " and 'alpha://u:***@b:2' (alpha)");
        assertThatThrownBy(() -> Brokers.create("beta://a:1,gamma://b:2"))
                .isInstanceOf(ProviderNotFoundException.class).hasMessageContaining("scheme 'gamma'");
    }
}
