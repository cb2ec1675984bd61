package io.kvorum.bench;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * Bar charts of a run, one group of bars per workload and one colour per target, each bar
 * labelled with its value: throughput and p99 latency. Both axes are logarithmic: throughput
 * spans single-client puts (hundreds per second) to watch fan-out (up to a million events per
 * second), latency spans serializable reads (a fraction of a millisecond) to watches under load
 * (seconds).
 */
final class Charts {

  private static final Color[] COLORS = {new Color(0x4C72B0), new Color(0xDD8452),
      new Color(0x55A868)};

  private Charts() {}

  static void write(List<TargetResult> targets, Path dir) throws IOException {
    save(chart(targets, "Throughput per workload (higher is better)", "ops/s (log scale)",
        WorkloadResult::opsPerSecond, "#,##0"), dir.resolve("throughput"));
    save(chart(targets, "p99 latency per workload (lower is better)", "p99 ms (log scale)",
        WorkloadResult::p99, "#,##0.##"), dir.resolve("p99"));
  }

  static CategoryChart chart(List<TargetResult> targets, String title, String yTitle,
      ToDoubleFunction<WorkloadResult> metric, String valuePattern) {
    CategoryChart chart = new CategoryChartBuilder().width(1400).height(720).title(title)
        .xAxisTitle("workload").yAxisTitle(yTitle).build();
    CategoryStyler styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBackgroundColor(Color.WHITE);
    styler.setPlotGridLinesColor(new Color(0xDDDDDD));
    styler.setXAxisLabelRotation(30);
    styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    styler.setLegendPosition(Styler.LegendPosition.InsideNE);
    styler.setSeriesColors(COLORS);
    styler.setYAxisLogarithmic(true);
    styler.setYAxisDecimalPattern(valuePattern); // bar labels use it too
    styler.setLabelsVisible(true);
    styler.setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    styler.setLabelsPosition(0.97);
    styler.setToolTipsEnabled(false);

    List<String> names = Report.workloadNames(targets);
    double smallest = Double.MAX_VALUE;
    double largest = 0;
    for (TargetResult t : targets) {
      List<Double> values = new ArrayList<>();
      for (String name : names) {
        WorkloadResult w = t.workload(name);
        double v = w == null || !w.ran() ? 0 : metric.applyAsDouble(w);
        // a log axis cannot show 0; a missing bar reads as "not measured"
        values.add(v <= 0 ? Double.NaN : v);
        if (v > 0) {
          smallest = Math.min(smallest, v);
          largest = Math.max(largest, v);
        }
      }
      chart.addSeries(t.label(), names, values);
    }
    if (smallest < Double.MAX_VALUE) {
      // bars grow from the axis minimum, which a log axis cannot put at 0: use the decade below;
      // the top is the decade above the tallest bar with room for its label
      styler.setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
      styler.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(largest * 1.5))));
    }
    return chart;
  }

  private static void save(CategoryChart chart, Path fileWithoutExtension) throws IOException {
    BitmapEncoder.saveBitmap(chart, fileWithoutExtension.toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }
}
