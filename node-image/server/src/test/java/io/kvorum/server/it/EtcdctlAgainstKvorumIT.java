package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The etcdctl contract against a 3-member kvorum cluster started from the jar, plus what
 * kvorum does as etcd 3.5 does where etcd 3.4 (the reference) still differs.
 */
class EtcdctlAgainstKvorumIT extends EtcdctlClusterContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new KvorumClientCluster(dir, 3);
  }

  @Test
  void v3betaIsNotServedAsInEtcd35() throws Exception {
    HttpResponse<String> beta =
        curl("http://" + cluster.clientEndpoint(0) + "/v3beta/kv/put",
            "{\"key\": \"Zm9v\", \"value\": \"YmFy\"}");

    assertThat(beta.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(beta.body()).getString("message"))
        .contains("/v3beta was removed in etcd 3.5")
        .contains("use /v3/kv/put");
  }

  @Test
  void healthCarriesAReasonAndLivezReadyzAnswerOk() throws Exception {
    for (String endpoint : cluster.clientEndpoints()) {
      HttpResponse<String> health = curl("http://" + endpoint + "/health", null);
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("{\"health\":\"true\",\"reason\":\"\"}");
      assertThat(curl("http://" + endpoint + "/livez", null).body()).isEqualTo("ok");
      assertThat(curl("http://" + endpoint + "/readyz", null).body()).isEqualTo("ok");
    }
  }
}
