package io.kvorum.operator.crd;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.util.Comparator;
import java.util.List;

/**
 * Build-time CRD post-processor (quarkus.operator-sdk.crd.post-processor): the generator sorts
 * printer columns by JSON path, kubectl shows them in CRD order, and users expect
 * {@code VERSION TARGET READY PHASE LEADER AGE}.
 */
public class PrinterColumnOrder implements CRDPostProcessor {

  static final List<String> ORDER = List.of("VERSION", "TARGET", "READY", "PHASE", "LEADER", "AGE");

  @Override
  public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
    if (crd instanceof CustomResourceDefinition v1) {
      v1.getSpec().getVersions().forEach(version -> {
        List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
        if (columns != null) {
          columns.sort(Comparator.comparingInt(c -> {
            int i = ORDER.indexOf(c.getName());
            return i < 0 ? ORDER.size() : i;
          }));
        }
      });
    }
    return crd;
  }
}
