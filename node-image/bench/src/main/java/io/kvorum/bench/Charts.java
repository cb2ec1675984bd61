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
import org.knowm.xchart.style.Styler;

/**
 * Bar charts of a run, one group of bars per workload and one colour per target: throughput
 * (linear axis) and p99 latency (logarithmic axis, since reads take a fraction of a millisecond
 * and watches under load can take seconds).
 */
final class Charts {

  private static final Color[] COLORS = {new Color(0x4C72B0), new Color(0xDD8452),
      new Color(0x55A868)};

  private Charts() {}

  static void write(List<TargetResult> targets, Path dir) throws IOException {
    save(chart(targets, "Throughput per workload (higher is better)", "ops/s",
        WorkloadResult::opsPerSecond, false), dir.resolve("throughput"));
    save(chart(targets, "p99 latency per workload (lower is better)", "p99 ms (log scale)",
        WorkloadResult::p99, true), dir.resolve("p99"));
  }

  static CategoryChart chart(List<TargetResult> targets, String title, String yTitle,
      ToDoubleFunction<WorkloadResult> metric, boolean logarithmic) {
    CategoryChart chart = new CategoryChartBuilder().width(1400).height(720).title(title)
        .xAxisTitle("workload").yAxisTitle(yTitle).build();
    Styler styler = chart.getStyler();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesColor(new Color(0xDDDDDD));
    chart.getStyler().setXAxisLabelRotation(30);
    chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setSeriesColors(COLORS);
    chart.getStyler().setYAxisLogarithmic(logarithmic);
    chart.getStyler().setYAxisDecimalPattern(logarithmic ? "#,##0.##" : "#,###");
    chart.getStyler().setLabelsVisible(false);
    styler.setToolTipsEnabled(false);

    List<String> names = Report.workloadNames(targets);
    for (TargetResult t : targets) {
      List<Double> values = new ArrayList<>();
      for (String name : names) {
        WorkloadResult w = t.workload(name);
        double v = w == null || !w.ran() ? 0 : metric.applyAsDouble(w);
        // a log axis cannot show 0; a missing bar reads as "not measured"
        values.add(logarithmic && v <= 0 ? Double.NaN : v);
      }
      chart.addSeries(t.label(), names, values);
    }
    return chart;
  }

  private static void save(CategoryChart chart, Path fileWithoutExtension) throws IOException {
    BitmapEncoder.saveBitmap(chart, fileWithoutExtension.toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }
}
